using System.Diagnostics;
using System.Globalization;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// The generator's cold run on 50 specs in CPU time as well as wall time. On a machine shared
/// with other work the wall time of a single-threaded run stretches with the load; the process's
/// CPU time barely does, so it is the better estimate of what the run costs an idle machine.
/// </summary>
internal static class GeneratorCpu
{
    public static int Run(string[] args)
    {
        int runs = args.Length > 1 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        var bench = new GeneratorBenchmarks();
        bench.Setup();
        for (int i = 0; i < 5; i++) bench.ColdRun();

        var process = Process.GetCurrentProcess();
        var wall = new List<double>();
        var cpu = new List<double>();
        var own = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var timing = bench.ColdRunTiming();
            watch.Stop();
            process.Refresh();
            own.Add(timing.ElapsedTime.TotalMilliseconds);
            wall.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }
        wall.Sort();
        cpu.Sort();
        own.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generator cold run, {GeneratorBenchmarks.SpecCount} specs, {runs} runs: wall median {wall[runs / 2]:F1} ms (min {wall[0]:F1}), " +
            $"process CPU median {cpu[runs / 2]:F1} ms (min {cpu[0]:F1}); " +
            $"driver-reported generator time (GetTimingInfo().ElapsedTime) median {own[runs / 2]:F1} ms (min {own[0]:F1}); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        return 0;
    }
}
