using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using TorchSpecs.Interop;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TorchSpecs.Cli;

/// <summary>Runs an exported ONNX model through ONNX Runtime on a float32 batch.</summary>
internal sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRunner(string path, int threads = 0)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: ONNX model not found");
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        try { _session = new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) { throw new CliException($"{path}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})"); }
        if (!_session.InputMetadata.ContainsKey(OnnxExporter.InputName) || !_session.OutputMetadata.ContainsKey(OnnxExporter.OutputName))
            throw new CliException($"{path}: expected an input '{OnnxExporter.InputName}' and an output '{OnnxExporter.OutputName}' (a model written by `export --format onnx`)");
    }

    /// <summary>The metadata the exporter wrote (model, input, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _session.ModelMetadata.CustomMetadataMap;

    public Tensor Run(Tensor x)
    {
        using var cpu = x.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var input = new DenseTensor<float>(cpu.data<float>().ToArray(), cpu.shape.Select(d => (int)d).ToArray());
        using var results = _session.Run(new[] { NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, input) }, new[] { OnnxExporter.OutputName });
        var output = results.First().AsTensor<float>();
        return torch.tensor(output.ToArray(), output.Dimensions.ToArray().Select(d => (long)d).ToArray());
    }

    public static Tensor Run(string path, Tensor x)
    {
        using var runner = new OnnxRunner(path);
        return runner.Run(x);
    }

    public void Dispose() => _session.Dispose();
}
