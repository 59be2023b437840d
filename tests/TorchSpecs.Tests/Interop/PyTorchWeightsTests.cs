using TorchSharp;
using TorchSpecs.Cli;
using TorchSpecs.Interop;
using TorchSpecs.Tests.Snapshots;
using TorchSpecs.Tests.TestModels;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// PyTorch state dicts (torch.save zips) and safetensors in and out, against fixtures PyTorch made
/// (Fixtures/make_fixtures.py: torchvision's AlexNet and VGG classes narrowed to the test specs
/// TinyAlexNet and TinyVggBn), the refusals (a whole pickled model, a pickle that would run a
/// command), the strict errors, and the other direction through PyTorch where it is installed.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class PyTorchWeightsTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ModelInfo[] Models = { TinyAlexNet.Info, TinyVggBn.Info, SmallTorchNames.Info };

    [Theory]
    [InlineData("tiny_alexnet.pth")]
    [InlineData("tiny_alexnet.safetensors")]
    [InlineData("tiny_alexnet_checkpoint.pth")]
    public void TorchvisionAlexNetWeightsGivePyTorchsLogits(string file)
    {
        using var model = new TinyAlexNet();
        Assert.Equal(16, model.LoadWeights(PythonTool.Fixture(file)));
        AssertLogits(model, "tiny_alexnet");
    }

    [Theory]
    [InlineData("tiny_vgg_bn.pth")]
    [InlineData("tiny_vgg_bn.safetensors")]
    public void TorchvisionVggBnWeightsGivePyTorchsLogitsThroughTorchvisionNames(string file)
    {
        using var model = new TinyVggBn();
        int loaded = ModelWeights.Load(model, TinyVggBn.Info, PythonTool.Fixture(file), torchNames: ModelWeights.TorchvisionNames(TinyVggBn.Info));
        Assert.Equal(4 * 2 + 4 * 5 + 3 * 2, loaded);
        AssertLogits(model, "tiny_vgg_bn");
    }

    [Fact]
    public void TheFormatIsKnownByContentNotByName()
    {
        Assert.Equal(WeightsFormat.PyTorch, WeightsFile.Detect(PythonTool.Fixture("tiny_alexnet.pth")));
        Assert.Equal(WeightsFormat.Safetensors, WeightsFile.Detect(PythonTool.Fixture("tiny_alexnet.safetensors")));
        // A safetensors file under a .dat name and a PyTorch zip under a .bin name still load.
        File.Copy(PythonTool.Fixture("tiny_alexnet.safetensors"), _dir.File("weights.dat"));
        File.Copy(PythonTool.Fixture("tiny_alexnet.pth"), _dir.File("weights.bin"));
        using var model = new TinyAlexNet();
        model.LoadWeights(_dir.File("weights.dat"));
        AssertLogits(model, "tiny_alexnet");
        using var again = new TinyAlexNet();
        again.LoadWeights(_dir.File("weights.bin"));
        AssertLogits(again, "tiny_alexnet");
        // TorchSharp's own format is still read.
        model.save(_dir.File("torchsharp.dat"));
        Assert.Equal(WeightsFormat.TorchSharp, WeightsFile.Detect(_dir.File("torchsharp.dat")));
    }

    [Fact]
    public void ACheckpointDictGivesItsClassNames()
    {
        using var content = WeightsFile.Read(PythonTool.Fixture("tiny_alexnet_checkpoint.pth"));
        Assert.Equal(16, content.Tensors.Count);
        Assert.Equal("Trouser", content.Classes![1]);
        Assert.Equal(10, content.Classes.Count);
    }

    [Fact]
    public void AWholePickledModelIsRefusedWithTheReason()
    {
        using var model = new TinyVggBn();
        var error = Assert.Throws<WeightsFormatException>(() => model.LoadWeights(PythonTool.Fixture("whole_model.pth")));
        Assert.Contains("whole_model.pth: the pickle holds a whole model (torch.save(model)), not a state dict", error.Message);
    }

    [Fact]
    public void APickleThatWouldRunACommandIsRefusedAndRunsNothing()
    {
        const string marker = "/tmp/torchspecs-pickle-payload-ran"; // what make_malicious.py's payload touches
        File.Delete(marker);
        using var model = new SmallTorchNames();
        var error = Assert.Throws<WeightsFormatException>(() => model.LoadWeights(PythonTool.Fixture("evil.pth")));
        Assert.Contains("evil.pth: refused: the pickle calls posix.system while it is read", error.Message);
        Assert.Contains("Nothing in the file was run", error.Message);
        Assert.False(File.Exists(marker), "the payload ran");
    }

    [Fact]
    public void MissingUnexpectedAndMisShapedKeysAreListedInOneErrorNamingTheFile()
    {
        using var model = new TinyAlexNet();
        using var wrong = torch.zeros(16, 8, 3, 3);
        using var extra = torch.zeros(4);
        var entries = model.state_dict()
            .Where(e => e.Key != "fc8.bias")
            .Select(e => e.Key == "conv2.weight" ? ("features.3.weight", wrong) : (ModelWeights.TorchKey(e.Key, TinyAlexNet.Info) ?? e.Key, e.Value))
            .Append(("features.2.weight", extra));
        WeightsFile.Write(_dir.File("broken.pth"), entries);

        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(_dir.File("broken.pth")));
        Assert.Equal(3, error.Problems.Count);
        Assert.StartsWith("broken.pth does not fit TinyAlexNet: 3 problems\n  - ", error.Message);
        Assert.Contains("  - tensor 'conv2.weight' (file key 'features.3.weight') has shape [16, 8, 3, 3] in the file but [16, 8, 5, 5] in TinyAlexNet", error.Message);
        Assert.Contains("  - unexpected tensor 'features.2.weight': the model has no such parameter or buffer", error.Message);
        Assert.Contains("  - missing tensor 'fc8.bias' (PyTorch name 'classifier.6.bias'): the file does not hold it", error.Message);
    }

    [Theory]
    [InlineData("roundtrip.pth")]
    [InlineData("roundtrip.safetensors")]
    public void WhatDotNetSavesLoadsBack(string file)
    {
        using var first = new TinyVggBn();
        using (torch.no_grad()) first.Bn2_1.running_var!.uniform_(0.5, 1.5);
        ModelWeights.Save(first, TinyVggBn.Info, _dir.File(file), ModelWeights.TorchvisionNames(TinyVggBn.Info));
        using (var content = WeightsFile.Read(_dir.File(file)))
        {
            Assert.Contains(content.Tensors, t => t.Key == "features.5.running_var");
            Assert.Contains(content.Tensors, t => t.Key == "features.1.num_batches_tracked" && t.Value.dtype == ScalarType.Int64);
        }
        using var second = new TinyVggBn();
        ModelWeights.Load(second, TinyVggBn.Info, _dir.File(file), torchNames: ModelWeights.TorchvisionNames(TinyVggBn.Info));
        foreach (var (key, value) in first.state_dict())
            Assert.True(value.equal(second.state_dict()[key]).all().item<bool>(), key);
    }

    [Fact]
    public void SavingIsAtomic()
    {
        using var model = new SmallTorchNames();
        model.SaveWeights(SmallTorchNames.Info, _dir.File("weights.safetensors"));
        byte[] before = File.ReadAllBytes(_dir.File("weights.safetensors"));
        using var complex = torch.zeros(2, dtype: ScalarType.ComplexFloat32);
        // safetensors has no complex dtype: the write fails half-way, the old file stays whole and no temporary file is left.
        Assert.ThrowsAny<Exception>(() => WeightsFile.Write(_dir.File("weights.safetensors"), model.state_dict().Select(e => (e.Key, e.Value)).Append(("z", complex))));
        Assert.Equal(before, File.ReadAllBytes(_dir.File("weights.safetensors")));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    /// <summary>predict on the fixture's .npy batch writes PyTorch's logits and prints the checkpoint's class names.</summary>
    [Fact]
    public void PredictWritesPyTorchsLogitsAndNamesTheClasses()
    {
        var (code, output, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_alexnet_checkpoint.pth"),
            "--input", PythonTool.Fixture("tiny_alexnet_input.npy"), "--output", _dir.File("y.npy"), "--top", "3");
        Assert.True(code == 0, error);
        using var logits = NpyFile.Read(_dir.File("y.npy"));
        using var expected = NpyFile.Read(PythonTool.Fixture("tiny_alexnet_logits.npy"));
        AssertClose(expected, logits);
        long best = expected[0].argmax().item<long>();
        string[] names = { "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
        Assert.Contains($"tiny_alexnet_input.npy[0]:\n  1. {names[best]}  ", output.Replace("\r", ""));
        Assert.Equal(2 * 4, output.Trim().Split('\n').Length - 1); // a logits line, then per input a label and 3 classes
    }

    [Fact]
    public void PredictFindsTorchvisionNamesByItself()
    {
        var (code, output, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyVggBn", "--weights", PythonTool.Fixture("tiny_vgg_bn.safetensors"),
            "--input", PythonTool.Fixture("tiny_vgg_bn_input.npy"), "--output", _dir.File("y.npy"));
        Assert.True(code == 0, error);
        using var logits = NpyFile.Read(_dir.File("y.npy"));
        using var expected = NpyFile.Read(PythonTool.Fixture("tiny_vgg_bn_logits.npy"));
        AssertClose(expected, logits);
        Assert.Contains("1. class", output);
    }

    [Fact]
    public void PredictSaysWhatIsWrongInOneLine()
    {
        var (code, _, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_vgg_bn.pth"),
            "--input", PythonTool.Fixture("tiny_alexnet_input.npy"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: tiny_vgg_bn.pth does not fit TinyAlexNet: ", error);

        (code, _, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_alexnet.pth"),
            "--input", PythonTool.Fixture("tiny_vgg_bn_input.npy"));
        Assert.Equal(2, code);
        Assert.Contains("tiny_vgg_bn_input.npy: shape [2, 3, 16, 16], but TinyAlexNet takes [N, 3, 63, 63] (float32, NCHW)", error);
    }

    [Fact]
    public void PredictReadsImagesResizedLikeTraining()
    {
        // Two BMPs of another size than the model's input: decoded, resized, one block each.
        string[] files = { _dir.File("a.bmp"), _dir.File("b.bmp") };
        for (int i = 0; i < 2; i++)
        {
            using var image = torch.rand(3, 40, 50).mul(255).to_type(ScalarType.Byte);
            WriteBmp(image, files[i]);
        }
        var (code, output, error) = CliRunner.Run(PredictVerb.Create(Models), new[] { "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_alexnet.pth"), "--top", "2" }.Concat(files).ToArray());
        Assert.True(code == 0, error);
        Assert.Contains("a.bmp:\n  1. class", output.Replace("\r", ""));
        Assert.Contains("b.bmp:\n  1. class", output.Replace("\r", ""));
        Assert.Contains("no normalization", error);
    }

    /// <summary>
    /// The other direction, through PyTorch: .NET saves .pth and .safetensors under torchvision's
    /// names, torchvision's classes load them with load_state_dict(strict=True), and their logits
    /// equal the .NET module's.
    /// </summary>
    [SkippableTheory]
    [InlineData("tiny_alexnet", ".pth")]
    [InlineData("tiny_alexnet", ".safetensors")]
    [InlineData("tiny_vgg_bn", ".pth")]
    [InlineData("tiny_vgg_bn", ".safetensors")]
    public void PyTorchLoadsWhatDotNetSavesStrictlyAndAgrees(string name, string extension)
    {
        PythonTool.SkipUnless("torch", "torchvision", "numpy");
        torch.manual_seed(11);
        using var model = name == "tiny_alexnet" ? (nn.Module<Tensor, Tensor>)new TinyAlexNet() : new TinyVggBn();
        var info = name == "tiny_alexnet" ? TinyAlexNet.Info : TinyVggBn.Info;
        using (torch.no_grad())
            foreach (var (key, buffer) in model.named_buffers().ToList())
                if (key.EndsWith("running_var", StringComparison.Ordinal)) buffer.uniform_(0.5, 1.5);
        string weights = _dir.File(name + extension);
        if (name == "tiny_alexnet") model.SaveWeights(info, weights);
        else ModelWeights.Save(model, info, weights, ModelWeights.TorchvisionNames(info));

        string input = PythonTool.Fixture($"{name}_input.npy");
        PythonTool.RunScript(PythonTool.Fixture("load_dotnet_weights.py"), name, weights, input, _dir.File("py.npy"));
        using var x = NpyFile.Read(input);
        model.eval();
        using var noGrad = torch.no_grad();
        using var ours = model.call(x);
        using var theirs = NpyFile.Read(_dir.File("py.npy"));
        AssertClose(ours, theirs);
    }

    private static void AssertLogits(nn.Module<Tensor, Tensor> model, string name)
    {
        using var x = NpyFile.Read(PythonTool.Fixture($"{name}_input.npy"));
        using var expected = NpyFile.Read(PythonTool.Fixture($"{name}_logits.npy"));
        model.eval();
        using var noGrad = torch.no_grad();
        using var y = model.call(x);
        AssertClose(expected, y);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double tolerance = Tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= tolerance, $"largest difference {error} > {tolerance}");
    }

    /// <summary>A 24-bit BMP of a uint8 [3, H, W] image.</summary>
    private static void WriteBmp(Tensor chw, string path)
    {
        long h = chw.shape[1], w = chw.shape[2];
        var pixels = chw.permute(1, 2, 0).contiguous().data<byte>().ToArray();
        int rowBytes = (int)((w * 3 + 3) / 4 * 4);
        using var bmp = new BinaryWriter(File.Create(path));
        bmp.Write((byte)'B'); bmp.Write((byte)'M');
        bmp.Write(54 + rowBytes * (int)h); bmp.Write(0); bmp.Write(54);
        bmp.Write(40); bmp.Write((int)w); bmp.Write((int)h); bmp.Write((short)1); bmp.Write((short)24);
        bmp.Write(0); bmp.Write(rowBytes * (int)h); bmp.Write(2835); bmp.Write(2835); bmp.Write(0); bmp.Write(0);
        for (long y = h - 1; y >= 0; y--)
        {
            for (long x = 0; x < w; x++)
            {
                long i = (y * w + x) * 3;
                bmp.Write(pixels[i + 2]); bmp.Write(pixels[i + 1]); bmp.Write(pixels[i]);
            }
            for (int pad = (int)(w * 3); pad < rowBytes; pad++) bmp.Write((byte)0);
        }
    }
}

/// <summary>The strict .npy reader and writer of predict's --input and --output.</summary>
public sealed class NpyFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WhatItWritesNumPysHeaderSaysAndItReadsBack()
    {
        using var x = torch.arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4);
        NpyFile.Write(_dir.File("x.npy"), x);
        var bytes = File.ReadAllBytes(_dir.File("x.npy"));
        string header = System.Text.Encoding.Latin1.GetString(bytes, 10, BitConverter.ToUInt16(bytes, 8));
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", header);
        Assert.Equal(0, (10 + header.Length) % 64);
        using var back = NpyFile.Read(_dir.File("x.npy"));
        Assert.True(back.equal(x).all().item<bool>());
        // PyTorch's fixture (numpy.save) reads too.
        using var fixture = NpyFile.Read(PythonTool.Fixture("tiny_vgg_bn_input.npy"));
        Assert.Equal(new long[] { 2, 3, 16, 16 }, fixture.shape);
    }

    [Theory]
    [InlineData("'<f8'", "False", "dtype <f8, expected float32")]
    [InlineData("'<f4'", "True", "Fortran-ordered array, expected C order")]
    public void AnythingButFloat32InCOrderIsRefused(string descr, string fortran, string expected)
    {
        using var x = torch.zeros(2, 2);
        NpyFile.Write(_dir.File("x.npy"), x);
        var bytes = File.ReadAllBytes(_dir.File("x.npy"));
        string text = System.Text.Encoding.Latin1.GetString(bytes).Replace("'<f4'", descr).Replace("False", fortran);
        File.WriteAllBytes(_dir.File("x.npy"), System.Text.Encoding.Latin1.GetBytes(text));
        var error = Assert.Throws<NpyFormatException>(() => NpyFile.Read(_dir.File("x.npy")));
        Assert.StartsWith(_dir.File("x.npy") + ": ", error.Message);
        foreach (var part in expected.Split("..."))
            Assert.Contains(part.Trim(), error.Message);
    }

    [Fact]
    public void ATruncatedFileSaysHowMuchDataIsMissing()
    {
        using var x = torch.zeros(4, 4);
        NpyFile.Write(_dir.File("x.npy"), x);
        var bytes = File.ReadAllBytes(_dir.File("x.npy"));
        File.WriteAllBytes(_dir.File("x.npy"), bytes.AsSpan(0, bytes.Length - 8).ToArray());
        var error = Assert.Throws<NpyFormatException>(() => NpyFile.Read(_dir.File("x.npy")));
        Assert.Contains("shape (4, 4) needs 64 bytes of data, the file has 56", error.Message);
    }
}

/// <summary>The convert verb and predict's --classes.</summary>
[Collection(SerialCollection.Name)]
public sealed class ConvertVerbTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ModelInfo[] Models = { TinyAlexNet.Info, TinyVggBn.Info };

    [Theory]
    [InlineData("torch", "features.0.weight")]
    [InlineData("model", "conv1.weight")]
    public void ConvertWritesTheChosenNamesAndTheSameTensors(string names, string firstKey)
    {
        var (code, output, error) = CliRunner.Run(ConvertVerb.Create(Models), "TinyAlexNet", PythonTool.Fixture("tiny_alexnet.pth"), _dir.File("w.safetensors"), "--names", names);
        Assert.True(code == 0, error);
        Assert.Contains("16 tensors of TinyAlexNet, Safetensors format", output);
        using var converted = WeightsFile.Read(_dir.File("w.safetensors"));
        using var original = WeightsFile.Read(PythonTool.Fixture("tiny_alexnet.pth"));
        Assert.Equal(firstKey, converted.Tensors[0].Key);
        var byKey = original.Tensors.ToDictionary(t => t.Key, t => t.Value);
        foreach (var (key, value) in converted.Tensors)
        {
            string torchKey = ModelWeights.TorchKey(key, TinyAlexNet.Info) ?? key;
            Assert.True(value.equal(byKey[torchKey]).all().item<bool>(), key);
        }
    }

    [Fact]
    public void ConvertToTorchvisionNamesForAModelWithoutTorchNames()
    {
        var (code, _, error) = CliRunner.Run(ConvertVerb.Create(Models), "TinyVggBn", PythonTool.Fixture("tiny_vgg_bn.pth"), _dir.File("w.dat"), "--names", "model");
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run(ConvertVerb.Create(Models), "TinyVggBn", _dir.File("w.dat"), _dir.File("back.pth"), "--names", "torchvision");
        Assert.True(code == 0, error);
        using var back = WeightsFile.Read(_dir.File("back.pth"));
        using var original = WeightsFile.Read(PythonTool.Fixture("tiny_vgg_bn.pth"));
        Assert.Equal(original.Tensors.Select(t => t.Key), back.Tensors.Select(t => t.Key));
    }

    [Fact]
    public void PredictTakesClassNamesFromAFile()
    {
        File.WriteAllLines(_dir.File("classes.txt"), Enumerable.Range(0, 10).Select(i => $"kind {i}"));
        var (code, output, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_alexnet.pth"),
            "--input", PythonTool.Fixture("tiny_alexnet_input.npy"), "--classes", _dir.File("classes.txt"), "--top", "1");
        Assert.True(code == 0, error);
        Assert.Contains("1. kind ", output);
        File.WriteAllLines(_dir.File("classes.txt"), new[] { "a", "b" });
        (code, _, error) = CliRunner.Run(PredictVerb.Create(Models), "TinyAlexNet", "--weights", PythonTool.Fixture("tiny_alexnet.pth"),
            "--input", PythonTool.Fixture("tiny_alexnet_input.npy"), "--classes", _dir.File("classes.txt"));
        Assert.Equal(2, code);
        Assert.Contains("classes.txt: 2 class names, but the model gives 10 outputs", error);
    }
}

/// <summary>A TorchSpecs training checkpoint (.ckpt) as predict's, export's and convert's input: its class names and normalization travel.</summary>
[Collection(SerialCollection.Name)]
public sealed class TrainingCheckpointInteropTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ACheckpointPredictsExportsAndConverts()
    {
        var models = new[] { TinyQuadrants.Info };
        torch.manual_seed(4);
        using var model = TinyQuadrants.Info.Create();
        var meta = new TorchSpecs.Training.CheckpointMeta
        {
            Model = TinyQuadrants.Info.Name, Input = TinyQuadrants.Info.Input.ToString(), Epoch = 1, Options = new TorchSpecs.Training.TrainOptions(),
            DataSet = "quadrants", Classes = new[] { "north", "east", "south", "west" }, Normalization = new TorchSpecs.Data.Normalization(new[] { 0.5f }, new[] { 0.25f }),
            Schedule = new TorchSpecs.Training.ScheduleState(1, double.PositiveInfinity, 0), History = Array.Empty<TorchSpecs.Training.EpochRecord>(),
        };
        TorchSpecs.Training.Checkpoint.Save(_dir.File("m.ckpt"), meta, model, TorchSpecs.Training.Trainer.CreateOptimizer(model, new TorchSpecs.Training.TrainOptions()));
        using (var x = torch.randn(2, 1, 8, 8)) NpyFile.Write(_dir.File("x.npy"), x);

        var (code, output, error) = CliRunner.Run(PredictVerb.Create(models), "TinyQuadrants", "--weights", _dir.File("m.ckpt"), "--input", _dir.File("x.npy"), "--output", _dir.File("y.npy"), "--top", "4");
        Assert.True(code == 0, error);
        Assert.Contains("north", output);

        (code, _, error) = CliRunner.Run(ExportVerb.Create(models), "TinyQuadrants", "--format", "onnx", "--weights", _dir.File("m.ckpt"), "--out", _dir.File("m.onnx"));
        Assert.True(code == 0, error);
        (code, output, error) = CliRunner.Run(PredictVerb.Create(models), "TinyQuadrants", "--onnx", _dir.File("m.onnx"), "--input", _dir.File("x.npy"), "--output", _dir.File("y_onnx.npy"), "--top", "4");
        Assert.True(code == 0, error);
        Assert.Contains("west", output);
        using (var a = NpyFile.Read(_dir.File("y.npy")))
        using (var b = NpyFile.Read(_dir.File("y_onnx.npy")))
            PyTorchWeightsTests.AssertClose(a, b);

        (code, _, error) = CliRunner.Run(ConvertVerb.Create(models), "TinyQuadrants", _dir.File("m.ckpt"), _dir.File("w.pth"));
        Assert.True(code == 0, error);
        using var other = TinyQuadrants.Info.Create();
        other.LoadWeights(TinyQuadrants.Info, _dir.File("w.pth"));
        foreach (var (key, value) in model.state_dict())
            Assert.True(value.equal(other.state_dict()[key]).all().item<bool>(), key);
    }
}

/// <summary>Files that are not state dicts, made here with the library's own writers.</summary>
public sealed class WeightsFileErrorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AnEmptyStateDictAndATruncatedZipAreNamedAsSuch()
    {
        WeightsFile.Write(_dir.File("empty.pth"), Array.Empty<(string, Tensor)>());
        var error = Assert.Throws<WeightsFormatException>(() => WeightsFile.Read(_dir.File("empty.pth")));
        Assert.Equal($"{_dir.File("empty.pth")}: the pickle holds an empty dict: no tensors to load", error.Message);

        var bytes = File.ReadAllBytes(PythonTool.Fixture("tiny_alexnet.pth"));
        File.WriteAllBytes(_dir.File("cut.pth"), bytes.AsSpan(0, bytes.Length / 2).ToArray());
        error = Assert.Throws<WeightsFormatException>(() => WeightsFile.Read(_dir.File("cut.pth")));
        Assert.StartsWith($"{_dir.File("cut.pth")}: not a PyTorch state-dict file that can be read (", error.Message);
    }

    [Fact]
    public void ATrainingCheckpointGivenAsWeightsSaysWhatItIs()
    {
        File.WriteAllBytes(_dir.File("x.ckpt"), "TSCKPT01\0\0\0\0\0\0\0\0"u8.ToArray());
        var error = Assert.Throws<WeightsFormatException>(() => WeightsFile.Read(_dir.File("x.ckpt")));
        Assert.Contains("a TorchSpecs training checkpoint, not a weights file", error.Message);
        error = Assert.Throws<WeightsFormatException>(() => WeightsFile.Read(_dir.Path));
        Assert.Contains("a folder, not a weights file; sharded checkpoints", error.Message);
    }
}
