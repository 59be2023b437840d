using System.Diagnostics;
using System.Globalization;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// Generated vs hand-written as paired, interleaved A/B runs: each pair times a few steps of one
/// then of the other (the order alternates from pair to pair), and the result is the median of
/// the per-pair ratios. On a shared machine the load changes from second to second; a pair sees
/// nearly the same load on both sides, so the ratio holds where absolute times do not. The ratio
/// of CPU times is given too: it leaves out the waiting for a core that other processes cause.
/// </summary>
internal static class Interleaved
{
    public static int Run(string[] args)
    {
        int pairs = Int(args, "--pairs", 12), steps = Int(args, "--steps", 2), warmup = Int(args, "--warmup", 2);
        var networks = Value(args, "--networks")?.Split(',') ?? Networks.Names;
        var modes = Value(args, "--modes")?.Split(',') ?? new[] { "forward", "forward+backward" };
        Workloads.Control = args.Contains("--control");
        Networks.InitializeProcess();
        if (Workloads.Control) Console.WriteLine("# CONTROL (A/A): the 'generated' column is a second hand-written instance.");
        Console.WriteLine($"# Interleaved A/B: {pairs} pairs of {steps} steps per side, {warmup} warm-up steps, " +
                          $"{TorchSharp.torch.get_num_threads()} threads, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| network | batch | mode | hand-written ms/step | generated ms/step | generated/hand-written, wall time | middle half | generated/hand-written, CPU time | middle half |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---|---:|---|");
        foreach (var network in networks)
        {
            var pair = Networks.Get(network);
            foreach (var mode in modes)
            {
                bool train = mode != "forward";
                var hand = Workloads.Get(network, generated: false, train);
                var gen = Workloads.Get(network, generated: true, train);
                Action handStep = train ? hand.ForwardBackward : hand.Forward;
                Action genStep = train ? gen.ForwardBackward : gen.Forward;
                for (int i = 0; i < warmup; i++) { handStep(); genStep(); }

                var handMs = new List<double>();
                var genMs = new List<double>();
                var ratios = new List<double>();
                var cpuRatios = new List<double>();
                for (int p = 0; p < pairs; p++)
                {
                    (double Wall, double Cpu) h, g;
                    if (p % 2 == 0) { h = Time(handStep, steps); g = Time(genStep, steps); }
                    else { g = Time(genStep, steps); h = Time(handStep, steps); }
                    handMs.Add(h.Wall);
                    genMs.Add(g.Wall);
                    ratios.Add(g.Wall / h.Wall);
                    cpuRatios.Add(g.Cpu / h.Cpu);
                }
                ratios.Sort();
                cpuRatios.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {network} | {pair.Batch} | {mode} | {Median(handMs):F1} | {Median(genMs):F1} | {Median(ratios):F3} | {Quantile(ratios, 0.25):F3}–{Quantile(ratios, 0.75):F3} " +
                    $"| {Median(cpuRatios):F3} | {Quantile(cpuRatios, 0.25):F3}–{Quantile(cpuRatios, 0.75):F3} |"));
                Workloads.Release(network, train);
            }
        }
        return 0;
    }

    /// <summary>
    /// Milliseconds per step, wall time and the process's CPU time. CPU time leaves out the time
    /// the threads waited for a core, so it is steadier under load (run with OMP_WAIT_POLICY=PASSIVE
    /// so that OpenMP's spinning does not count as work).
    /// </summary>
    private static (double Wall, double Cpu) Time(Action step, int count)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) step();
        double wall = watch.Elapsed.TotalMilliseconds / count;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds / count);
    }

    private static double Median(List<double> values) => TorchSpecs.Metrics.Statistics.Median(values);

    private static double Quantile(List<double> values, double q) => TorchSpecs.Metrics.Statistics.Quantile(values, q);

    private static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    private static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Int(string[] args, string name, int fallback) =>
        Value(args, name) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
