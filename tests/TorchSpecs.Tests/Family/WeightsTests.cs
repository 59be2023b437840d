using System.Diagnostics;
using TorchSharp;
using TorchSpecs.Models;
using TorchSpecs.Tests.TestModels;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Family;

/// <summary>Weights in TorchSharp's exchange format: our reader and writer, torch_name mapping, the errors, and torchvision's files PyTorch wrote (all three formats).</summary>
public sealed class WeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchspecs-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private static bool SameParameters(nn.Module a, nn.Module b)
    {
        var left = a.state_dict();
        var right = b.state_dict();
        return left.Count == right.Count && left.All(e => right.TryGetValue(e.Key, out var t) && e.Value.shape.SequenceEqual(t.shape) && e.Value.equal(t).all().item<bool>());
    }

    [Fact]
    public void TheFormatIsReadAsDocumented()
    {
        // Hand-written bytes: 1 entry, key "w" (1 byte), Float32 (6), 2 dims [2, 300] (300 = 0xAC 0x02 in LEB128), values.
        var bytes = new List<byte> { 1, 1, (byte)'w', 6, 2, 2, 0xAC, 0x02 };
        var values = Enumerable.Range(0, 600).Select(i => (float)i).ToArray();
        bytes.AddRange(values.SelectMany(BitConverter.GetBytes));
        System.IO.File.WriteAllBytes(File("hand.dat"), bytes.ToArray());

        var stored = Assert.Single(StateDictFile.Read(File("hand.dat")));
        Assert.Equal(("w", ScalarType.Float32), (stored.Key, stored.Type));
        Assert.Equal(new long[] { 2, 300 }, stored.Shape);
        using var t = stored.ToTensor();
        Assert.Equal(299f, t[0, 299].item<float>());
        Assert.Equal(599f, t[1, 299].item<float>());

        // Our writer gives the same bytes back.
        StateDictFile.Write(File("again.dat"), new[] { ("w", t) });
        Assert.Equal(bytes.ToArray(), System.IO.File.ReadAllBytes(File("again.dat")));
    }

    [Fact]
    public void ATruncatedFileSaysWhereItEnds()
    {
        System.IO.File.WriteAllBytes(File("short.dat"), new byte[] { 1, 1, (byte)'w', 6, 1, 4, 0, 0 });
        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(File("short.dat")));
        Assert.Contains("the file ends inside the values of 'w' (entry 1 of 1) (2 of 16 bytes)", error.Message);
    }

    [Fact]
    public void TorchSharpsOwnSaveAndLoadAgreeWithOurFormat()
    {
        using var saved = new SmallTorchNames();
        saved.save(File("torchsharp.dat"));
        var stored = StateDictFile.Read(File("torchsharp.dat"));
        Assert.Equal(saved.state_dict().Keys, stored.Select(s => s.Key));
        Assert.Equal(new long[] { 16, 8, 5, 5 }, stored.Single(s => s.Key == "conv2.weight").Shape);

        using var loaded = new SmallTorchNames();
        Assert.False(SameParameters(saved, loaded));
        ModelWeights.Save(saved, SmallTorchNames.Info, File("ours.dat"));
        loaded.load(File("ours.dat"));                // TorchSharp reads what we write
        Assert.True(SameParameters(saved, loaded));
    }

    [Fact]
    public void WeightsSavedUnderTorchNamesLoadBackIntoTheRows()
    {
        using var first = new SmallTorchNames();
        ModelWeights.Save(first, SmallTorchNames.Info, File("small.dat"), torchNames: true);
        var keys = StateDictFile.Read(File("small.dat")).Select(s => s.Key).ToList();
        Assert.Equal(new[] { "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.4.weight" }, keys.Take(5));
        Assert.Contains("features.1.running_mean", keys);
        Assert.Contains("classifier.3.bias", keys);

        using var second = new SmallTorchNames();
        Assert.False(SameParameters(first, second));
        Assert.Equal(keys.Count, second.LoadWeights(File("small.dat")));
        Assert.True(SameParameters(first, second));
    }

    [Fact]
    public void AnExplicitNameMapLoadsRowsWithoutTorchName()
    {
        using var first = new KerasSameEven();
        var map = new Dictionary<string, string>();
        int index = 0;
        var renamed = first.state_dict().Select(e =>
        {
            string row = e.Key.Substring(0, e.Key.LastIndexOf('.'));
            if (!map.ContainsValue(row)) map[$"features.{index++}"] = row;
            return (map.Single(m => m.Value == row).Key + e.Key.Substring(row.Length), e.Value);
        }).ToList();
        StateDictFile.Write(File("renamed.dat"), renamed);

        using var second = new KerasSameEven();
        var error = Assert.Throws<WeightsMismatchException>(() => second.LoadWeights(File("renamed.dat")));
        Assert.Contains("KerasSameEven's rows have no torch_name", error.Message);
        ModelWeights.Load(second, KerasSameEven.Info, File("renamed.dat"), strict: true, torchNames: map);
        Assert.True(SameParameters(first, second));
    }

    [Fact]
    public void AMissingTensorIsNamedWithItsTorchName()
    {
        using var model = new SmallTorchNames();
        StateDictFile.Write(File("missing.dat"), model.state_dict().Where(e => e.Key is not ("conv2.bias" or "fc2.bias")).Select(e => (e.Key, e.Value)));
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("missing.dat")));
        Assert.Equal("missing.dat does not fit SmallTorchNames: 2 problems\n  - missing tensor 'conv2.bias' (PyTorch name 'features.4.bias'): the file does not hold it\n  - missing tensor 'fc2.bias' (PyTorch name 'classifier.3.bias'): the file does not hold it", error.Message);
        Assert.Equal(2, error.Problems.Count);
        Assert.Equal(model.state_dict().Count - 2, model.LoadWeights(File("missing.dat"), strict: false));
    }

    [Fact]
    public void AnUnexpectedTensorIsNamed()
    {
        using var model = new SmallTorchNames();
        using var extra = torch.zeros(3);
        StateDictFile.Write(File("extra.dat"), model.state_dict().Select(e => (e.Key, e.Value)).Append(("features.2.weight", extra)));
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("extra.dat")));
        Assert.Equal("extra.dat does not fit SmallTorchNames: unexpected tensor 'features.2.weight': the model has no such parameter or buffer", error.Message);
        model.LoadWeights(File("extra.dat"), strict: false);
    }

    [Fact]
    public void AMisShapedTensorIsNamedWithBothShapesEvenWhenNotStrict()
    {
        using var model = new SmallTorchNames();
        using var wrong = torch.zeros(16, 8, 3, 3);
        var entries = model.state_dict().Select(e => e.Key == "conv2.weight" ? ("features.4.weight", wrong) : (e.Key, e.Value)).ToList();
        StateDictFile.Write(File("shape.dat"), entries);
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("shape.dat"), strict: false));
        Assert.Equal("shape.dat does not fit SmallTorchNames: tensor 'conv2.weight' (file key 'features.4.weight') has shape [16, 8, 3, 3] in the file but [16, 8, 5, 5] in SmallTorchNames", error.Message);
    }

    [Fact]
    public void BatchNormBuffersTravelToo()
    {
        using var first = new SmallTorchNames();
        using (torch.no_grad()) first.Bn1.running_mean!.fill_(0.25);
        ModelWeights.Save(first, SmallTorchNames.Info, File("bn.dat"));
        Assert.Contains(StateDictFile.Read(File("bn.dat")), s => s.Key == "bn1.num_batches_tracked" && s.Type == ScalarType.Int64);
        using var second = new SmallTorchNames();
        second.LoadWeights(File("bn.dat"));
        Assert.Equal(0.25f, second.Bn1.running_mean![5].item<float>());
        Assert.True(SameParameters(first, second));
    }

    /// <summary>
    /// torchvision's AlexNet state_dict as PyTorch writes it (bench/export_torchvision.py), loaded through
    /// torch_name, gives torchvision's output. Needs /usr/bin/python3 with torch and torchvision; without
    /// them only the C# half of the weights tests runs.
    /// </summary>
    [Theory]
    [InlineData(".dat")]
    [InlineData(".pth")]
    public void TorchvisionsAlexNetWeightsGiveTorchvisionsOutput(string extension)
    {
        if (!ExportTorchvision("alexnet", "224", extension)) return; // skipped: no PyTorch here
        using var model = new AlexNet();
        Assert.Equal(16, model.LoadWeights(File("tv" + extension)));
        AssertSameOutput(model);
    }

    [Fact]
    public void TorchvisionNamesOfAlexNetAreItsTorchNames()
    {
        var names = ModelWeights.TorchvisionNames(AlexNet.Info);
        foreach (var layer in AlexNet.Info.Layers.Where(l => l.TorchName is not null))
            Assert.Equal(layer.Name, names[layer.TorchName!]);
        Assert.Equal("avgpool", names["avgpool"]);
        var small = ModelWeights.TorchvisionNames(SmallTorchNames.Info);
        foreach (var layer in SmallTorchNames.Info.Layers.Where(l => l.TorchName is not null))
            Assert.Equal(layer.Name, small[layer.TorchName!]);
    }

    [Fact]
    public void TorchvisionNamesOfVggBnCountTheBatchNormAndTheRelu()
    {
        var names = ModelWeights.TorchvisionNames(Vgg11Bn.Info);
        // torchvision: features = [Conv2d, BatchNorm2d, ReLU, MaxPool2d, Conv2d, ...]; classifier = [Linear, ReLU, Dropout, ...].
        Assert.Equal(new[] { "conv1_1", "bn1_1", "pool1", "conv2_1", "bn2_1" }, new[] { "features.0", "features.1", "features.3", "features.4", "features.5" }.Select(k => names[k]));
        Assert.False(names.ContainsKey("features.2"));
        Assert.Equal("pool5", names["features.28"]);
        Assert.Equal(new[] { "fc6", "drop6", "fc7", "drop7", "fc8" }, new[] { "classifier.0", "classifier.2", "classifier.3", "classifier.5", "classifier.6" }.Select(k => names[k]));
    }

    /// <summary>
    /// torchvision's vgg11_bn with random weights and batch-norm statistics, loaded through the
    /// torchvision names of Vgg11Bn's table: the same output, so the expanded table (conv, BN, ReLU)
    /// is torchvision's network. At 64x64 to keep it fast; the adaptive pool makes any size valid.
    /// </summary>
    [Theory]
    [InlineData(".dat")]
    [InlineData(".safetensors")]
    public void TorchvisionsVgg11BnWeightsGiveTorchvisionsOutput(string extension)
    {
        if (!ExportTorchvision("vgg11_bn", "64", extension)) return; // skipped: no PyTorch here
        using var model = new Vgg11Bn();
        int loaded = ModelWeights.Load(model, Vgg11Bn.Info, File("tv" + extension), strict: true, torchNames: ModelWeights.TorchvisionNames(Vgg11Bn.Info));
        Assert.Equal(8 * 2 + 8 * 5 + 3 * 2, loaded); // conv weight+bias, BN weight/bias/mean/var/count, dense weight+bias
        AssertSameOutput(model);
    }

    private bool ExportTorchvision(string model, string size, string extension)
    {
        string script = Path.Combine(FamilyModelTests.RepoRoot(), "bench", "export_torchvision.py");
        if (!System.IO.File.Exists("/usr/bin/python3") || !PythonHas("torch", "torchvision")) return false;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { script, model, File("tv" + extension), File("probe.dat"), "7", size }) start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        string stderr = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, stderr);
        return true;
    }

    private void AssertSameOutput(nn.Module<Tensor, Tensor> model)
    {
        model.eval();
        var probe = StateDictFile.Read(File("probe.dat")).ToDictionary(s => s.Key);
        using var input = probe["input"].ToTensor();
        using var expected = probe["output"].ToTensor();
        using var noGrad = torch.no_grad();
        using var output = model.call(input);
        Assert.Equal(expected.shape, output.shape);
        double scale = expected.abs().max().item<float>();
        double error = (output - expected).abs().max().item<float>();
        Assert.True(error <= 1e-4 * Math.Max(1, scale), $"largest difference from torchvision's output: {error} (outputs up to {scale})");
    }

    private static bool PythonHas(params string[] modules)
    {
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(string.Join("; ", modules.Select(m => "import " + m)));
            using var p = Process.Start(start)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
