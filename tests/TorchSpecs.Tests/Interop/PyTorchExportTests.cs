using TorchSharp;
using TorchSpecs.Cli;
using TorchSpecs.Interop;
using TorchSpecs.Models;
using TorchSpecs.Tests.Snapshots;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// `export --format pytorch`: the nn.Module source written from the table. Where PyTorch is
/// installed, .NET's weights load into it with strict=True and its outputs equal the .NET
/// module's within 1e-5.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class PyTorchExportTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheSourceHasOneAttributePerRowNamedLikeIt()
    {
        string source = PyTorchExporter.Source(TestModels.TinyOnnxMix.Info);
        Assert.Contains("class TinyOnnxMix(nn.Module):", source);
        Assert.Contains("        self.conv2 = nn.Conv2d(8, 8, kernel_size=3, stride=1, padding=2, dilation=2, groups=2)", source);
        Assert.Contains("        x = F.pad(x, (2, 1, 1, 0))  # uneven padding (left, right, top, bottom)", source);
        Assert.Contains("        self.lrn2 = nn.LocalResponseNorm(3, alpha=1.5, beta=0.5, k=1)  # TensorFlow's depth_radius 1", source);
        Assert.Contains("        self.pool2 = nn.MaxPool2d(kernel_size=3, stride=2, padding=0, ceil_mode=True)", source);
        Assert.Contains("        self.bn2 = nn.BatchNorm1d(16, eps=1E-05, momentum=0.1)", source);
        Assert.Contains("        x = self.fc2(x)  # 5 (logits: softmax in predict)", source);
        Assert.Equal("tiny_onnx_mix.py", PyTorchExporter.FileName(TestModels.TinyOnnxMix.Info));
        Assert.Equal("fashion_vgg.py", PyTorchExporter.FileName(FashionVgg.Info));
    }

    [Fact]
    public void TheVerbWritesTheFile()
    {
        var (code, output, error) = CliRunner.Run(ExportVerb.Create(new[] { FashionVgg.Info }), "FashionVgg", "--format", "pytorch", "--out", _dir.Path);
        Assert.True(code == 0, error);
        Assert.Contains("class FashionVgg(nn.Module)", output);
        Assert.Contains("self.conv2_1 = nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=1, bias=False)", File.ReadAllText(_dir.File("fashion_vgg.py")));
    }

    public static TheoryData<string> Models() => new(Small.Select(m => m.Name));

    private static readonly ModelInfo[] Small =
    {
        TestModels.TinyOnnxMix.Info, TestModels.KerasSameEven.Info, TestModels.CeilPool.Info, TestModels.TinyAlexNet.Info,
        TestModels.TinyQuadrants.Info, TestModels.GlobalPoolHead.Info, TestModels.CeilPadPool.Info, FashionVgg.Info,
    };

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void DotNetWeightsLoadStrictlyAndGiveTheSameOutput(string name)
    {
        PythonTool.SkipUnless("torch", "numpy");
        var info = Small.Single(m => m.Name == name);
        torch.manual_seed(3);
        using var module = info.Create();
        OnnxExportTests.Randomize(module);
        module.eval();
        string source = PyTorchExporter.Export(info, _dir.Path);
        ModelWeights.Save(module, info, _dir.File("w.pth"));          // the row names: the exported module's keys
        using var x = torch.randn(info.Input.ToTorch(3));
        NpyFile.Write(_dir.File("x.npy"), x);
        PythonTool.RunScript(PythonTool.Fixture("run_exported.py"), source, info.Name, _dir.File("w.pth"), _dir.File("x.npy"), _dir.File("y.npy"));
        using var theirs = NpyFile.Read(_dir.File("y.npy"));
        using var noGrad = torch.no_grad();
        using var ours = ((nn.Module<Tensor, Tensor>)module).call(x);
        Assert.Equal(ours.shape, theirs.shape);
        double error = (ours - theirs).abs().max().item<float>();
        Assert.True(error <= 1e-5 * Math.Max(1, ours.abs().max().item<float>()), $"largest difference {error}");
    }
}
