using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using TorchSpecs.Cli;
using TorchSpecs.Interop;
using TorchSpecs.Models;
using TorchSpecs.Tests.Snapshots;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// ONNX export from the table and the weights, run by a real runtime (ONNX Runtime) and compared
/// with TorchSharp's forward on a random batch: the test specs (LRN in both conventions, grouped
/// and dilated convs, uneven Keras `same` padding, ceil-mode and padded pools, resize, zero pad,
/// batch norm on maps and features, a non-dividing adaptive pool, a global average pool) and FashionVgg. The big models
/// are compared by bench/onnx_parity.sh (results in docs/interop.md).
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class OnnxExportTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> SmallModels() => new(Small.Select(m => m.Name));

    private static readonly ModelInfo[] Small =
    {
        TestModels.CeilPool.Info, TestModels.KerasSameEven.Info, TestModels.SmallTorchNames.Info, TestModels.TinyQuadrants.Info,
        TestModels.TinyAlexNet.Info, TestModels.TinyVggBn.Info, TestModels.TinyOnnxMix.Info, TestModels.GlobalPoolHead.Info, TestModels.CeilPadPool.Info, TestModels.TinyFashion.Info, FashionVgg.Info,
    };

    [Theory]
    [MemberData(nameof(SmallModels))]
    public void OnnxRuntimeGivesTorchSharpsOutput(string name)
    {
        var info = Small.Single(m => m.Name == name);
        torch.manual_seed(5);
        using var module = info.Create();
        Randomize(module);
        module.eval();
        string path = _dir.File(name + ".onnx");
        OnnxExporter.Export(info, module, path);

        using var x = torch.randn(info.Input.ToTorch(3));
        using var expected = Forward(module, x);
        using var session = new InferenceSession(path);
        var outputs = Run(session, x);
        AssertClose(expected, outputs[OnnxExporter.OutputName]);
        if (info.EndsInSoftmax)
        {
            using var probabilities = expected.softmax(1);
            AssertClose(probabilities, outputs[OnnxExporter.ProbabilitiesName]);
        }
        else Assert.False(outputs.ContainsKey(OnnxExporter.ProbabilitiesName));
        foreach (var t in outputs.Values) t.Dispose();
    }

    [Fact]
    public void TheGraphCarriesTheSpecsNamesADynamicBatchAndTheMetadata()
    {
        torch.manual_seed(1);
        using var module = new TestModels.TinyOnnxMix();
        var proto = OnnxExporter.Build(TestModels.TinyOnnxMix.Info, module);
        Assert.Equal(OnnxExporter.Opset, proto.OpsetImport.Single().Version);
        Assert.Equal("N", proto.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
        var nodes = proto.Graph.Node.ToDictionary(n => n.Name);
        Assert.Equal("Conv", nodes["conv1"].OpType);
        Assert.Equal(new long[] { 1, 2, 0, 1 }, nodes["conv1"].Attribute.Single(a => a.Name == "pads").Ints); // top, left, bottom, right
        Assert.Equal(2, nodes["conv2"].Attribute.Single(a => a.Name == "group").I);
        Assert.Equal("Tanh", nodes["conv1_tanh"].OpType);
        Assert.Equal("LRN", nodes["lrn2"].OpType);
        // TensorFlow's depth_radius 1, alpha 0.5 is PyTorch's (and ONNX's) size 3, alpha 1.5.
        Assert.Equal(3, nodes["lrn2"].Attribute.Single(a => a.Name == "size").I);
        Assert.Equal(1.5f, nodes["lrn2"].Attribute.Single(a => a.Name == "alpha").F);
        Assert.Equal(1, nodes["pool2"].Attribute.Single(a => a.Name == "ceil_mode").I);
        Assert.Equal(1, nodes["pool1"].Attribute.Single(a => a.Name == "count_include_pad").I);
        Assert.DoesNotContain(proto.Graph.Node, n => n.Name.StartsWith("drop", StringComparison.Ordinal));
        Assert.Equal("Softmax", nodes["fc2_softmax"].OpType);
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet();
        foreach (var key in module.state_dict().Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.Contains(key, initializers);
        var meta = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("TinyOnnxMix", meta["model"]);
        Assert.Equal("20x20x3", meta["input"]);
        Assert.EndsWith("tiny-onnx-mix.yaml", meta["spec_file"]);
    }

    [Fact]
    public void AnEvenLrnSizeIsRefusedWithTheReason()
    {
        // Vgg11Lrn's LRN has size 5; build the refusal from a copy of its table with size 4.
        var info = Vgg11Lrn.Info;
        var row = info.Layers.First(l => l.Kind == LayerKind.Lrn);
        var even = new ModelInfo(info.Name, info.Description, info.Source, info.SpecFile, info.Input,
            info.Layers.Select(l => l == row ? l with { Attributes = ((LrnAttributes)l.Attributes) with { Size = 4 } } : l).ToList(), (d, t) => info.Create(d, t));
        var error = Assert.Throws<ModelExportException>(() => OnnxExporter.Build(even, new TestModels.CeilPool()));
        Assert.Contains($"row {row.Name}: an even LRN size (4)", error.Message);
    }

    /// <summary>export --format onnx then predict --onnx: ONNX Runtime's logits equal predict --weights' (TorchSharp's), and the class names travel in the metadata.</summary>
    [Fact]
    public void ExportThenPredictThroughOnnxRuntime()
    {
        var models = new[] { TestModels.TinyAlexNet.Info };
        string checkpoint = PythonTool.Fixture("tiny_alexnet_checkpoint.pth");
        var (code, output, error) = CliRunner.Run(ExportVerb.Create(models), "TinyAlexNet", "--format", "onnx", "--weights", checkpoint, "--out", _dir.File("m.onnx"));
        Assert.True(code == 0, error);
        Assert.Contains("as ONNX (opset 17)", output);

        string input = PythonTool.Fixture("tiny_alexnet_input.npy");
        (code, output, error) = CliRunner.Run(PredictVerb.Create(models), "TinyAlexNet", "--onnx", _dir.File("m.onnx"), "--input", input, "--output", _dir.File("onnx.npy"));
        Assert.True(code == 0, error);
        Assert.Contains("1. ", output);
        Assert.DoesNotContain("class0", output); // the checkpoint's names came through the ONNX metadata
        using var onnx = NpyFile.Read(_dir.File("onnx.npy"));
        using var pytorch = NpyFile.Read(PythonTool.Fixture("tiny_alexnet_logits.npy"));
        AssertClose(pytorch, onnx);

        (code, _, error) = CliRunner.Run(PredictVerb.Create(new[] { TestModels.TinyVggBn.Info }), "TinyVggBn", "--onnx", _dir.File("m.onnx"), "--input", input);
        Assert.Equal(2, code);
        Assert.Contains("an export of TinyAlexNet, not TinyVggBn", error);
    }

    /// <summary>ONNX's own checker (python3-onnx) accepts the exports.</summary>
    [SkippableFact]
    public void OnnxsCheckerAcceptsTheExports()
    {
        PythonTool.SkipUnless("onnx");
        var files = new List<string>();
        foreach (var info in Small)
        {
            torch.manual_seed(2);
            using var module = info.Create();
            string path = _dir.File(info.Name + ".onnx");
            OnnxExporter.Export(info, module, path);
            files.Add(path);
        }
        string output = PythonTool.RunScript(Path.Combine(Family.FamilyModelTests.RepoRoot(), "bench", "onnx_check.py"), files.ToArray());
        Assert.Equal(files.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(": valid; IR 8, opset ai.onnx 17", StringComparison.Ordinal)));
    }

    /// <summary>Random batch-norm statistics, so batch norm is not an identity.</summary>
    internal static void Randomize(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (key, buffer) in module.named_buffers())
        {
            if (key.EndsWith("running_mean", StringComparison.Ordinal)) buffer.uniform_(-0.5, 0.5);
            else if (key.EndsWith("running_var", StringComparison.Ordinal)) buffer.uniform_(0.5, 1.5);
        }
        foreach (var (key, parameter) in module.named_parameters())
            if (key.StartsWith("bn", StringComparison.Ordinal)) parameter.uniform_(0.5, 1.5);
    }

    private static Tensor Forward(nn.Module module, Tensor x)
    {
        using var noGrad = torch.no_grad();
        return ((nn.Module<Tensor, Tensor>)module).call(x);
    }

    private static Dictionary<string, Tensor> Run(InferenceSession session, Tensor x)
    {
        var input = new DenseTensor<float>(x.data<float>().ToArray(), x.shape.Select(d => (int)d).ToArray());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input) });
        return results.ToDictionary(r => r.Name, r =>
        {
            var t = r.AsTensor<float>();
            return torch.tensor(t.ToArray(), t.Dimensions.ToArray().Select(d => (long)d).ToArray());
        });
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(1, expected.abs().max().item<float>());
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-4 * scale, $"largest difference from TorchSharp {error} (outputs up to {scale})");
    }
}
