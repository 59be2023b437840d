using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using TorchSpecs.Interop;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>bench MODEL --onnx</c>: the model exported to ONNX (its initial weights) and run forward in
/// ONNX Runtime with the same batch, threads, warm-up and runs as the bench verb's forward mode,
/// printed beside TorchSharp's forward images/s. Runs after TorchSharp's measurement, so a load
/// change between the two shows in the ratio: compare on an idle machine.
/// </summary>
internal static class OnnxBench
{
    public static string Run(ModelInfo info, BenchOptions o, BenchReport report, TextWriter progress)
    {
        string dir = Directory.CreateTempSubdirectory("torchspecs-onnx-bench-").FullName;
        try
        {
            string path = Path.Combine(dir, info.Name + ".onnx");
            torch.manual_seed(0);
            using (var module = info.Create())
            {
                module.eval();
                OnnxExporter.Export(info, module, path);
            }
            progress.WriteLine($"ONNX Runtime: {info.Name} exported ({new FileInfo(path).Length:N0} bytes), {o.Runs} runs of {o.Iterations} batches after {o.Warmup} warm-up batches ...");
            using var options = new SessionOptions { IntraOpNumThreads = o.Threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            using var session = new InferenceSession(path, options);
            var shape = info.Input.ToTorch(o.Batch);
            var random = new Random(0);
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
            var input = new[] { NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, new DenseTensor<float>(data, shape.Select(d => (int)d).ToArray())) };
            var outputs = new[] { OnnxExporter.OutputName };
            for (int i = 0; i < o.Warmup; i++) using (session.Run(input, outputs)) { }
            var rates = new List<double>();
            for (int run = 0; run < o.Runs; run++)
            {
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < o.Iterations; i++) using (session.Run(input, outputs)) { }
                rates.Add(o.Batch * o.Iterations / watch.Elapsed.TotalSeconds);
            }
            double median = ModelBench.Median(rates);
            var forward = report.Modes.FirstOrDefault(m => m.Mode == "forward");
            var w = new StringWriter(CultureInfo.InvariantCulture);
            w.WriteLine();
            w.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, same batch and threads, forward (inference), run after TorchSharp:");
            w.WriteLine($"  {median:F1} images/s (runs {rates.Min():F1}–{rates.Max():F1})" +
                        (forward is null ? "; TorchSharp's forward was not measured (--modes)" : $"; TorchSharp forward {forward.ImagesPerSecond:F1} images/s, TorchSharp/ONNX Runtime {forward.ImagesPerSecond / median:F2}"));
            return w.ToString();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
