using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using TorchSharp;
using TorchSpecs.Native;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>bench MODEL</c>: images per second of a generated model, forward (inference) and
/// forward+backward (training), with the multiply-adds its spec implies, the GFLOP/s that gives,
/// and that as a share of this machine's fp32 matrix-multiply rate measured in the same run
/// (interleaved with the model's runs, so that a load change hits both).
/// </summary>
internal static class BenchVerb
{
    public static Command Create(IReadOnlyList<ModelInfo> models)
    {
        var batch = new Option<int>("--batch") { Description = "Images per batch.", DefaultValueFactory = _ => 16 };
        var threads = CommonOptions.Threads();
        var warmup = new Option<int>("--warmup") { Description = "Warm-up batches per mode before timing.", DefaultValueFactory = _ => 2 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per mode; the median and the spread are over these.", DefaultValueFactory = _ => 5 };
        var iterations = new Option<int>("--iterations") { Description = "Batches per timed run.", DefaultValueFactory = _ => 4 };
        var modes = new Option<string>("--modes") { Description = "Which measurements, comma-separated: forward, backward (forward+backward), train (forward+backward+the trainer's SGD step).", DefaultValueFactory = _ => "forward,backward,train" };
        var precision = new Option<string>("--precision") { Description = "float32, or bfloat16: the modes in bfloat16 (batch norm in float32); train steps float32 master weights as `train --precision bfloat16` does.", DefaultValueFactory = _ => "float32" };
        var channelsLast = new Option<bool>("--channels-last") { Description = "Feed the input in channels-last (NHWC) memory format." };
        var json = new Option<bool>("--json") { Description = "Print machine-readable results (JSON) instead of the table." };
        var comparePyTorch = new Option<bool>("--compare-pytorch") { Description = "Also run bench/pytorch_bench.py on the same spec, batch and threads, and print the ratio." };
        var onnx = new Option<bool>("--onnx") { Description = "Also export the model to ONNX and time its forward pass in ONNX Runtime (printed after the table)." };
        var python = new Option<string>("--python") { Description = "The Python with PyTorch for --compare-pytorch.", DefaultValueFactory = _ => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3" };
        var dataset = new Option<string?>("--dataset") { Description = "With the train mode: also time the real training loop (background batch worker, real data) on this data set: fashion-mnist, mnist, cifar10 or folder." };
        var data = CommonOptions.DataFolder();
        var cache = new Option<bool>("--cache") { Description = "With --dataset folder: keep decoded images in memory after the warm-up epoch." };
        var device = DeviceOption.Create();
        var command = new ModelCommand("bench", "Images/s, GFLOP/s and share of the measured matmul peak of a generated model, forward and forward+backward.")
        {
            batch, threads, warmup, runs, iterations, modes, precision, channelsLast, json, comparePyTorch, python, onnx, dataset, data, cache, device,
        };
        command.SetAction(result => Verbs.WithModel(models, result.GetValue(command.Model)!, info =>
        {
            var selected = result.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = selected.Where(m => m is not ("forward" or "backward" or "train")).ToList();
            if (!Enum.TryParse<TrainingPrecision>(result.GetValue(precision), ignoreCase: true, out var numbers) || int.TryParse(result.GetValue(precision), out _))
            {
                Console.Error.WriteLine($"bench: --precision '{result.GetValue(precision)}' is not one of float32, bfloat16.");
                return 2;
            }
            var options = new BenchOptions(result.GetValue(batch), CommonOptions.ThreadCount(result, threads), result.GetValue(warmup), result.GetValue(runs),
                result.GetValue(iterations), selected, result.GetValue(channelsLast), numbers);
            if (unknown.Count > 0 || selected.Length == 0 || options.Batch < 1 || options.Threads < 1 || options.Runs < 1 || options.Iterations < 1 || options.Warmup < 0)
            {
                Console.Error.WriteLine("bench: --batch, --runs and --iterations must be at least 1, --threads and --warmup at least 0, and --modes a list of forward, backward, train.");
                return 2;
            }

            torch.Device target;
            try { target = DeviceOption.Parse(result, device); }
            catch (DeviceSelectionException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }
            if (result.GetValue(dataset) is not null && !selected.Contains("train"))
            {
                Console.Error.WriteLine("bench: --dataset times the training loop: add train to --modes.");
                return 2;
            }

            // Progress goes to stderr, so that --json leaves stdout to the results.
            var report = ModelBench.Run(info, options, Console.Error, target);
            if (result.GetValue(comparePyTorch))
                report = report with { PyTorch = PyTorchComparison.Run(info, options, result.GetValue(python)!, report, Console.Error) };
            if (result.GetValue(dataset) is { } name)
            {
                try { report = report with { Loop = TrainingLoopBench.Run(info, options, name, result.GetValue(data), result.GetValue(cache), target, Console.Error) }; }
                catch (Exception e) when (e is TorchSpecs.Data.DataNotFoundException or TorchSpecs.Data.DataFormatException or ArgumentException)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return 2;
                }
            }

            if (result.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, BenchJson.Options));
            else
                Console.Write(BenchTable.Format(report) + (report.Loop is { } loop ? TrainingLoopBench.Format(loop) : ""));
            // With --json, stdout holds only the JSON document: the ONNX Runtime lines go to stderr.
            if (result.GetValue(onnx)) (result.GetValue(json) ? Console.Error : Console.Out).Write(OnnxBench.Run(info, options, report, Console.Error));
            return 0;
        }));
        return command;
    }
}

internal sealed record BenchOptions(int Batch, int Threads, int Warmup, int Runs, int Iterations, string[] Modes, bool ChannelsLast,
    TrainingPrecision Precision = TrainingPrecision.Float32);

/// <summary>One measured mode: images/s of every run, and what follows from the median.</summary>
internal sealed record ModeResult(
    string Mode, string Description, double[] ImagesPerSecondRuns, double ImagesPerSecond, double Min, double Max,
    double MultiplyAddsPerImage, double Gflops, double ShareOfPeak, double? DataWaitShare);

internal sealed record PeakResult(int Size, double[] GflopsRuns, double Gflops, double Min, double Max);

internal sealed record PyTorchResult(bool Available, string? Reason, string? Torch, string? Blas, double? MatmulGflops, PyTorchMode[]? Modes);

/// <summary>
/// PyTorch's images/s for one mode and TorchSharp's median divided by PyTorch's. The runs are
/// sequential, so under a changing load the plain ratio drifts; RatioPerPeak divides each side's
/// images/s by the matmul rate its own runs measured (both processes time the same 2048³ product
/// in every run), which cancels most of the load and leaves the two libraries' kernels compared.
/// </summary>
internal sealed record PyTorchMode(string Mode, double[] ImagesPerSecondRuns, double ImagesPerSecond, double Min, double Max, double Ratio, double RatioPerPeak);

internal sealed record BenchReport(
    string Model, string SpecFile, int Batch, int Threads, int Warmup, int Runs, int Iterations, bool ChannelsLast, string Malloc,
    string Machine, string Torch, long MultiplyAddsForward, long MultiplyAddsBackward, PeakResult Peak, ModeResult[] Modes, PyTorchResult? PyTorch = null,
    TrainingLoopResult? Loop = null, string Device = "cpu", TrainingPrecision Precision = TrainingPrecision.Float32);

internal static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>The measurements. Each run measures the matmul peak and then every mode, so the ratios pair up under a changing load.</summary>
internal static class ModelBench
{
    public const int PeakSize = 2048;

    public static BenchReport Run(ModelInfo info, BenchOptions o, TextWriter? progress, Device? device = null)
    {
        device ??= torch.CPU;
        // The program applies the malloc tuning at start-up (TORCHSPECS_MALLOC_TUNING=0 turns it off).
        MallocTuning.Apply();
        string malloc = MallocTuning.Status ?? "glibc malloc left as it is";
        torch.set_num_threads(o.Threads);
        torch.manual_seed(0);

        long macsForward = info.MultiplyAdds;
        long macsBackward = BackwardMultiplyAdds(info);
        using var model = info.Create(device);
        var shape = info.Input.ToTorch(o.Batch);
        long classes = info.Classes;

        using var a = torch.randn(PeakSize, PeakSize);
        using var b = torch.randn(PeakSize, PeakSize);
        using var input = Layout(torch.randn(shape, device: device), o.ChannelsLast);
        using var loader = new SyntheticLoader(shape, classes, o.ChannelsLast, device);
        // bfloat16: the model stays converted for the whole bench; train steps go through float32 masters, as the trainer's do.
        using var mixed = o.Precision == TrainingPrecision.BFloat16 ? new MixedPrecision(model) : null;
        using var compute = mixed?.Compute();
        // The trainer's optimizer (SGD with Nesterov momentum and weight decay), with a learning rate too small to move the weights.
        using var optimizer = Trainer.CreateOptimizer(mixed?.Masters ?? model.parameters(), new TrainOptions { LearningRate = 1e-12 });

        progress?.WriteLine($"bench {info.Name}: batch {o.Batch}, {o.Threads} threads, {o.Runs} runs of {o.Iterations} batches after {o.Warmup} warm-up batches per mode ...");

        // Warm-up: the first calls allocate, pick kernels and fault pages in.
        Matmul(a, b, 1);
        var pass = new TrainingStep(model, optimizer, mixed);
        foreach (var mode in o.Modes) Step(mode, o.Warmup, model, pass, input, loader);

        var peak = new List<double>();
        var rates = o.Modes.ToDictionary(m => m, _ => new List<double>());
        var ratios = o.Modes.ToDictionary(m => m, _ => new List<double>());
        var waits = o.Modes.ToDictionary(m => m, _ => (Wait: 0.0, Total: 0.0));
        for (int run = 0; run < o.Runs; run++)
        {
            double peakGflops = 2.0 * PeakSize * PeakSize * PeakSize * 3 / Matmul(a, b, 3) / 1e9;
            peak.Add(peakGflops);
            foreach (var mode in o.Modes)
            {
                var (seconds, wait) = Step(mode, o.Iterations, model, pass, input, loader);
                double imagesPerSecond = o.Batch * o.Iterations / seconds;
                rates[mode].Add(imagesPerSecond);
                ratios[mode].Add(Gflops(mode == "forward" ? macsForward : macsForward + macsBackward, imagesPerSecond) / peakGflops);
                waits[mode] = (waits[mode].Wait + wait, waits[mode].Total + seconds);
            }
            progress?.WriteLine($"  run {run + 1}/{o.Runs}: peak {peakGflops:F1} GFLOP/s; " +
                string.Join(", ", o.Modes.Select(m => $"{m} {rates[m][^1]:F1} images/s")));
        }

        var modes = o.Modes.Select(m =>
        {
            var r = rates[m].ToArray();
            double macs = m == "forward" ? macsForward : macsForward + macsBackward;
            return new ModeResult(m, Describe(m), r, Median(r), r.Min(), r.Max(), macs, Gflops((long)macs, Median(r)), Median(ratios[m]),
                m == "forward" ? null : waits[m].Wait / waits[m].Total);
        }).ToArray();
        var p = peak.ToArray();
        return new BenchReport(info.Name, info.SpecFile, o.Batch, o.Threads, o.Warmup, o.Runs, o.Iterations, o.ChannelsLast, malloc,
            Machine(), $"TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {LibTorchVersion()}",
            macsForward, macsBackward, new PeakResult(PeakSize, p, Median(p), p.Min(), p.Max()), modes, Device: DeviceSelection.Describe(device), Precision: o.Precision);
    }

    private static string Describe(string mode) => mode switch
    {
        "forward" => "forward, eval mode, inference mode",
        "backward" => "forward + cross-entropy + backward, train mode",
        "train" => "forward + backward + the trainer's SGD step (Nesterov momentum, weight decay), train mode",
        _ => mode,
    };

    /// <summary>
    /// Multiply-adds of one backward pass, from the spec: every conv and dense row computes its
    /// weight gradient (as many multiply-adds as its forward) and its input gradient (as many
    /// again), except the first row with weights, whose input needs no gradient.
    /// </summary>
    public static long BackwardMultiplyAdds(ModelInfo info)
    {
        var weighted = info.Layers.Where(l => l.Kind is LayerKind.Conv or LayerKind.Dense).ToList();
        return weighted.Sum(l => l.MultiplyAdds) + weighted.Skip(1).Sum(l => l.MultiplyAdds);
    }

    private static double Gflops(long multiplyAdds, double imagesPerSecond) => 2.0 * multiplyAdds * imagesPerSecond / 1e9;

    /// <summary>Seconds for <paramref name="count"/> 2048³ fp32 matrix products.</summary>
    private static double Matmul(Tensor a, Tensor b, int count)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            using var scope = torch.NewDisposeScope();
            torch.mm(a, b);
        }
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Runs <paramref name="count"/> batches of one mode; returns the seconds taken and the seconds spent waiting for data.</summary>
    private static (double Seconds, double Wait) Step(string mode, int count, nn.Module<Tensor, Tensor> model, TrainingStep pass, Tensor input, SyntheticLoader loader)
    {
        double wait = 0;
        var watch = Stopwatch.StartNew();
        if (mode == "forward")
        {
            model.eval();
            using var inference = torch.inference_mode();
            for (int i = 0; i < count; i++)
            {
                using var scope = torch.NewDisposeScope();
                pass.Forward(input);
            }
            return (watch.Elapsed.TotalSeconds, 0);
        }

        model.train();
        for (int i = 0; i < count; i++)
        {
            var (x, y, waited) = loader.Next();
            wait += waited;
            // The batch comes from the loader's thread, outside this step's dispose scope.
            using var batchX = x;
            using var batchY = y;
            using var scope = torch.NewDisposeScope();
            pass.ZeroGradients();
            nn.functional.cross_entropy(pass.Forward(x), y).backward();
            if (mode == "train") pass.Update();
        }
        return (watch.Elapsed.TotalSeconds, wait);
    }

    /// <summary>Channels-last through the permute trick (TorchSharp has no memory_format argument).</summary>
    public static Tensor Layout(Tensor x, bool channelsLast)
    {
        if (!channelsLast || x.dim() != 4) return x;
        using var nhwc = x.permute(0, 2, 3, 1);
        using var packed = nhwc.contiguous();
        var result = packed.permute(0, 3, 1, 2);
        x.Dispose();
        return result;
    }

    public static double Median(IReadOnlyList<double> values) => TorchSpecs.Metrics.Statistics.Median(values);

    private static string Machine()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{cpu}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
    }

    private static string LibTorchVersion() =>
        typeof(ModelBench).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .OfType<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LibTorchVersion")?.Value ?? "?";
}

/// <summary>
/// The data path of the forward+backward modes: a producer thread turns stored uint8 image
/// batches into normalized float tensors (what a real loader's last step does) two batches ahead,
/// so that the step only waits when the producer falls behind. The wait is measured.
/// </summary>
internal sealed class SyntheticLoader : IDisposable
{
    private const int Stored = 4;
    private readonly Tensor[] _images;
    private readonly Tensor[] _labels;
    private readonly Channel<(Tensor X, Tensor Y)> _ready = Channel.CreateBounded<(Tensor, Tensor)>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private readonly bool _channelsLast;

    private readonly Device _device;

    public SyntheticLoader(long[] shape, long classes, bool channelsLast, Device device)
    {
        _channelsLast = channelsLast;
        _device = device;
        _images = Enumerable.Range(0, Stored).Select(_ => torch.randint(0, 256, shape, dtype: ScalarType.Byte)).ToArray();
        _labels = Enumerable.Range(0, Stored).Select(_ => torch.randint(0, classes, new[] { shape[0] }, dtype: ScalarType.Int64)).ToArray();
        _producer = Task.Factory.StartNew(Produce, TaskCreationOptions.LongRunning).Unwrap();
    }

    private async Task Produce()
    {
        try
        {
            for (long i = 0; !_stop.IsCancellationRequested; i++)
            {
                var x = ModelBench.Layout(TorchSpecs.Training.Batch.ToDevice(_images[i % Stored].to(ScalarType.Float32).div_(255).sub_(0.5).div_(0.25), _device), _channelsLast);
                var y = _labels[i % Stored].to(_device, copy: true);
                await _ready.Writer.WriteAsync((x, y), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        finally { _ready.Writer.TryComplete(); }
    }

    /// <summary>The next batch (the caller owns it) and the seconds spent waiting for it.</summary>
    public (Tensor X, Tensor Y, double Waited) Next()
    {
        if (_ready.Reader.TryRead(out var item)) return (item.X, item.Y, 0);
        var watch = Stopwatch.StartNew();
        item = _ready.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
        return (item.X, item.Y, watch.Elapsed.TotalSeconds);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _producer.GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
        while (_ready.Reader.TryRead(out var item)) { item.X.Dispose(); item.Y.Dispose(); }
        foreach (var t in _images.Concat(_labels)) t.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Runs bench/pytorch_bench.py on the same spec when Python and PyTorch are there.</summary>
internal static class PyTorchComparison
{
    public static PyTorchResult Run(ModelInfo info, BenchOptions o, string python, BenchReport report, TextWriter progress)
    {
        string? script = FindUp(Path.Combine("bench", "pytorch_bench.py"));
        if (script is null) return new PyTorchResult(false, "bench/pytorch_bench.py not found above the current or program folder", null, null, null, null);
        // The network as `export --format pytorch` writes it from the table: no Python reads the spec.
        string exported = Directory.CreateTempSubdirectory("torchspecs-bench-").FullName;
        string spec = TorchSpecs.Interop.PyTorchExporter.Export(info, exported);
        progress.WriteLine($"running {python} {script} (the exported module, same batch, threads, runs) ...");

        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, spec, "--model", info.Name, "--batch", Str(o.Batch), "--threads", Str(o.Threads), "--warmup", Str(o.Warmup),
                                    "--runs", Str(o.Runs), "--iterations", Str(o.Iterations), "--modes", string.Join(',', o.Modes), "--json" })
            start.ArgumentList.Add(arg);
        if (o.ChannelsLast) start.ArgumentList.Add("--channels-last");
        string stdout, stderr;
        int exit;
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            stderr = error.GetAwaiter().GetResult();
            exit = process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new PyTorchResult(false, $"could not start {python}: {e.Message}", null, null, null, null);
        }
        finally
        {
            Directory.Delete(exported, recursive: true);
        }

        JsonElement root;
        try { root = JsonDocument.Parse(stdout).RootElement; }
        catch (JsonException)
        {
            return new PyTorchResult(false, $"{python} {Path.GetFileName(script)} exited with {exit}: {Last(stderr.Length > 0 ? stderr : stdout)}", null, null, null, null);
        }
        if (!root.GetProperty("available").GetBoolean())
            return new PyTorchResult(false, root.GetProperty("reason").GetString(), null, null, null, null);
        var modes = new List<PyTorchMode>();
        foreach (var mine in report.Modes)
        {
            if (!root.GetProperty("modes").TryGetProperty(mine.Mode, out var theirs)) continue;
            var runs = theirs.GetProperty("images_per_second_runs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double median = ModelBench.Median(runs);
            double theirsPerPeak = theirs.GetProperty("images_per_second_per_peak_gflops").GetDouble();
            double oursPerPeak = ModelBench.Median(mine.ImagesPerSecondRuns.Zip(report.Peak.GflopsRuns, (x, p) => x / p).ToArray());
            modes.Add(new PyTorchMode(mine.Mode, runs, median, runs.Min(), runs.Max(), mine.ImagesPerSecond / median, oursPerPeak / theirsPerPeak));
        }
        var peaks = root.GetProperty("matmul_gflops_runs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new PyTorchResult(true, null, root.GetProperty("torch").GetString(), root.GetProperty("blas").GetString(), ModelBench.Median(peaks), modes.ToArray());
    }

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Last(string text) => text.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    internal static string? FindUp(string relative)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}

/// <summary>The human-readable result of <c>bench</c>.</summary>
internal static class BenchTable
{
    public static string Format(BenchReport r)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{r.Model} ({r.SpecFile}): batch {r.Batch}, {r.Threads} threads, {(r.ChannelsLast ? "channels-last" : "NCHW")} input, {(r.Precision == TrainingPrecision.BFloat16 ? "bfloat16" : "float32")}; " +
                    $"median of {r.Runs} runs of {r.Iterations} batches after {r.Warmup} warm-up batches");
        w.WriteLine($"machine: {r.Machine}; {r.Torch}; {r.Malloc}");
        w.WriteLine($"multiply-adds per image (from the spec): forward {G(r.MultiplyAddsForward)}, backward {G(r.MultiplyAddsBackward)}");
        w.WriteLine($"fp32 matmul {r.Peak.Size}x{r.Peak.Size}x{r.Peak.Size}, same run: {r.Peak.Gflops:F1} GFLOP/s (runs {r.Peak.Min:F1}–{r.Peak.Max:F1})");
        w.WriteLine();
        w.WriteLine($"{"mode",-18} {"images/s",9} {"spread (min–max)",20} {"GFLOP/s",8} {"% of peak",10} {"data wait",10}");
        foreach (var m in r.Modes)
        {
            string spread = $"{m.Min:F1}–{m.Max:F1} ±{Spread(m.Min, m.Max, m.ImagesPerSecond):F1}%";
            string wait = m.DataWaitShare is double d ? $"{100 * d:F1}%" : "–";
            w.WriteLine($"{Label(m.Mode),-18} {m.ImagesPerSecond,9:F1} {spread,20} {m.Gflops,8:F1} {100 * m.ShareOfPeak,9:F0}% {wait,10}");
        }
        w.WriteLine();
        foreach (var m in r.Modes) w.WriteLine($"  {Label(m.Mode)}: {m.Description}");
        if (r.Precision == TrainingPrecision.BFloat16)
            w.WriteLine("  bfloat16: the modes run in bfloat16, the peak is float32's, so the share of it can pass 100%");

        if (r.PyTorch is { } py)
        {
            w.WriteLine();
            if (!py.Available)
                w.WriteLine($"PyTorch: not compared: {py.Reason}");
            else
            {
                w.WriteLine($"PyTorch {py.Torch} ({py.Blas}), same spec, batch and threads, run after TorchSharp; its matmul: {py.MatmulGflops:F1} GFLOP/s");
                w.WriteLine($"{"mode",-18} {"TorchSharp",11} {"PyTorch",9} {"PyTorch spread",18} {"TorchSharp/PyTorch",19} {"per own matmul peak",20}");
                foreach (var m in py.Modes!)
                {
                    var ours = r.Modes.Single(x => x.Mode == m.Mode);
                    w.WriteLine($"{Label(m.Mode),-18} {ours.ImagesPerSecond,11:F1} {m.ImagesPerSecond,9:F1} {$"{m.Min:F1}–{m.Max:F1}",18} {m.Ratio,19:F2} {m.RatioPerPeak,20:F2}");
                }
                w.WriteLine("  (last column: the ratio of each side's images/s divided by the matmul rate its own runs measured; the sides run one after the other)");
            }
        }
        return w.ToString();
    }

    private static string Label(string mode) => mode switch
    {
        "forward" => "forward",
        "backward" => "forward+backward",
        "train" => "training step",
        _ => mode,
    };

    private static string G(long multiplyAdds) => $"{multiplyAdds / 1e9:F3} G";

    private static double Spread(double min, double max, double median) => median > 0 ? 100 * (max - min) / 2 / median : 0;
}
