using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Emit;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// Mutates every real spec (specs/**/*.yaml) many thousand times and runs the generator on
/// each: it must never throw, and every input that gives no model must give an error in
/// that file. Most mutants go straight through parser, inference and emitter (the code the
/// generator runs); every <see cref="DriverEvery"/>th goes through CSharpGeneratorDriver,
/// beside a valid witness spec that must still become a model. Settings (environment):
/// TORCHSPECS_FUZZ_COUNT (random mutants, default 10000; CI runs at least that),
/// TORCHSPECS_FUZZ_SEED (default 4), TORCHSPECS_FUZZ_TRUNCATE (0 turns off truncating every
/// seed at every position).
/// </summary>
public partial class SpecFuzzTests(ITestOutputHelper output)
{
    private const int DriverEvery = 8;
    private const int CompileChecks = 50;
    private const string MutantPath = "/project/specs/fuzz/mutant.yaml";
    private const string WitnessPath = "/project/specs/fuzz/witness.yaml";
    private static readonly TimeSpan PerRunLimit = TimeSpan.FromSeconds(5);

    private const string Witness = """
        model: FuzzWitness
        input: 8x8x3
        layers:
          - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
          - { name: flatten, type: flatten, output: 256 }
          - { name: fc, type: dense, units: 2, output: 2 }
        """;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;

    [Fact]
    public void MutatedSpecsNeverCrashTheGeneratorAndEveryRejectedSpecHasAnErrorInItsFile()
    {
        int count = Setting("TORCHSPECS_FUZZ_COUNT", 10_000);
        int seed = Setting("TORCHSPECS_FUZZ_SEED", 4);
        bool truncate = Setting("TORCHSPECS_FUZZ_TRUNCATE", 1) != 0;
        var seeds = RepoFiles.Specs().Select(File.ReadAllText).ToList();
        Assert.True(seeds.Count >= 8, $"expected the repository's specs, found {seeds.Count}");

        var stats = new Stats();
        var random = new Random(seed);
        var total = Stopwatch.StartNew();
        // Warm up (references, JIT) outside the per-run time limit.
        GeneratorRun? driver = GeneratorHarness.Run(new[] { new InMemorySpec(MutantPath, seeds[0]), new InMemorySpec(WitnessPath, Witness) }, GeneratorHarness.Compilation());

        for (int i = 0; i < count; i++)
        {
            string original = seeds[random.Next(seeds.Count)];
            var (text, how) = Mutate(original, random);
            if (i % DriverEvery == 0) driver = CheckThroughDriver(driver, text, how, stats);
            else CheckDirect(text, how, stats);
        }

        int truncations = 0;
        if (truncate)
        {
            foreach (var (spec, index) in seeds.Select((s, n) => (s, n)))
                for (int at = 0; at < spec.Length; at++, truncations++)
                    CheckDirect(spec.Substring(0, at), $"seed {index} truncated at {at}", stats);
        }
        total.Stop();

        output.WriteLine($"seed {seed}: {count} random mutants ({stats.DriverRuns} through CSharpGeneratorDriver, {stats.DirectRuns - truncations} direct) " +
                         $"+ {truncations} truncations of {seeds.Count} specs, in {total.Elapsed.TotalSeconds:F1} s; slowest run {stats.Slowest.TotalMilliseconds:F0} ms");
        output.WriteLine($"valid models: {stats.ValidModels} ({stats.Compiled} of them compiled); rejected specs: {stats.Rejected}");
        output.WriteLine($"diagnostic IDs seen ({stats.Ids.Count}): {string.Join(", ", stats.Ids.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key} x{x.Value}"))}");
        output.WriteLine("time by first mutation: " + string.Join(", ", stats.ByKind.OrderByDescending(k => k.Value.Ms).Select(k => $"{k.Key} {k.Value.Runs} runs {k.Value.Ms / 1000:F1} s")));
        foreach (var failure in stats.Failures.Take(10)) output.WriteLine("FAILURE: " + failure);

        Assert.True(stats.Failures.Count == 0, $"{stats.Failures.Count} failures, first: {stats.Failures.FirstOrDefault()}");
        Assert.Equal(count + truncations, stats.DriverRuns + stats.DirectRuns);
        // The mutants reach far: at least the syntax, key, value, range and shape checks.
        Assert.Superset(new HashSet<string> { "TS0001", "TS0003", "TS0004", "TS0005", "TS0006", "TS0007", "TS0101" }, stats.Ids.Keys.ToHashSet());
    }

    private sealed class Stats
    {
        public int DriverRuns, DirectRuns, ValidModels, Rejected, Compiled;
        public TimeSpan Slowest;
        public readonly Dictionary<string, int> Ids = new(StringComparer.Ordinal);
        public readonly List<string> Failures = new();

        public void Fail(string how, string text, string problem)
        {
            if (Failures.Count >= 50) return;
            string file = Path.Combine(Path.GetTempPath(), $"torchspecs-fuzz-{Failures.Count}.yaml");
            File.WriteAllText(file, text);
            Failures.Add($"{problem} [{how}; input saved to {file}]");
        }

        public readonly Dictionary<string, (int Runs, double Ms)> ByKind = new(StringComparer.Ordinal);

        public void Time(TimeSpan elapsed, string how, string text)
        {
            string kind = how.Split(' ')[0];
            var (runs, ms) = ByKind.GetValueOrDefault(kind);
            ByKind[kind] = (runs + 1, ms + elapsed.TotalMilliseconds);
            if (elapsed > Slowest) Slowest = elapsed;
            if (elapsed > PerRunLimit) Fail(how, text, $"the run took {elapsed.TotalSeconds:F1} s (limit {PerRunLimit.TotalSeconds} s)");
        }
    }

    /// <summary>Parser, inference and emitter called as the generator calls them, diagnostics made into Roslyn ones.</summary>
    private static void CheckDirect(string text, string how, Stats stats)
    {
        stats.DirectRuns++;
        var watch = Stopwatch.StartNew();
        try
        {
            var result = TorchSpecsGenerator.Infer(SpecParser.Parse(MutantPath, text));
            if (result.Plan is not null) ModelEmitter.Emit(result.Plan, GeneratorHarness.Namespace, "specs/fuzz/mutant.yaml");
            var diagnostics = result.Diagnostics.Select(d => d.ToDiagnostic()).ToList();
            watch.Stop();
            CheckDiagnostics(diagnostics, result.Plan is not null, text, how, stats);
        }
        catch (Exception e)
        {
            stats.Fail(how, text, $"{e.GetType().Name} escaped: {e.Message}");
        }
        stats.Time(watch.Elapsed, how, text);
    }

    /// <summary>The real thing: one driver, re-run on each mutant beside the witness spec.</summary>
    private static GeneratorRun? CheckThroughDriver(GeneratorRun? previous, string text, string how, Stats stats)
    {
        stats.DriverRuns++;
        var specs = new[] { new InMemorySpec(MutantPath, text), new InMemorySpec(WitnessPath, Witness) };
        var watch = Stopwatch.StartNew();
        GeneratorRun run;
        try
        {
            run = previous is null ? GeneratorHarness.Run(specs, GeneratorHarness.Compilation()) : previous.Rerun(specs);
        }
        catch (Exception e)
        {
            stats.Fail(how, text, $"{e.GetType().Name} escaped the driver: {e.Message}");
            return null;
        }
        watch.Stop();
        stats.Time(watch.Elapsed, how, text);

        var result = run.Result.Results.Single();
        if (result.Exception is not null)
            stats.Fail(how, text, $"the generator threw {result.Exception.GetType().Name}: {result.Exception.Message}");
        if (run.GeneratorDiagnostics.FirstOrDefault(d => d.Id == "CS8785") is { } crash)
            stats.Fail(how, text, $"CS8785: {crash.GetMessage(CultureInfo.InvariantCulture)}");
        if (!run.HintNames.Contains($"{GeneratorHarness.Namespace}.FuzzWitness.g.cs"))
            stats.Fail(how, text, "the valid witness spec was not generated beside the mutant");

        var mine = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path != WitnessPath).ToList();
        var witness = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path == WitnessPath && d.Id != "TS0011").ToList();
        if (witness.Count > 0) stats.Fail(how, text, $"the witness got {witness[0].Id}: {witness[0].GetMessage(CultureInfo.InvariantCulture)}");

        // A model is generated for the mutant when some generated file other than the witness and the catalog exists.
        var generated = result.GeneratedSources.Where(s => !s.HintName.EndsWith("FuzzWitness.g.cs", StringComparison.Ordinal) && !s.HintName.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal)).ToList();
        foreach (var source in generated)
        {
            var syntax = source.SyntaxTree.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
            if (syntax is not null) stats.Fail(how, text, $"generated {source.HintName} does not parse: {syntax}");
        }
        CheckDiagnostics(mine, generated.Count > 0, text, how, stats);

        // A spec the generator accepts must give C# that compiles (warnings are errors in users' builds too):
        // checked for the first accepted mutants, as binding against TorchSharp is the slow part.
        if (generated.Count > 0 && stats.Compiled < CompileChecks)
        {
            stats.Compiled++;
            var trees = generated.Select(g => g.SyntaxTree).ToHashSet();
            var problem = run.Output.GetDiagnostics()
                .FirstOrDefault(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && trees.Contains(tree));
            if (problem is not null) stats.Fail(how, text, $"the generated model does not compile cleanly: {problem}");
        }
        return run;
    }

    private static void CheckDiagnostics(IReadOnlyList<Diagnostic> diagnostics, bool valid, string text, string how, Stats stats)
    {
        if (valid) stats.ValidModels++; else stats.Rejected++;
        // Lines as editors count them: LF, CRLF and a lone CR end a line.
        int lines = YamlPrescan.EndOf(text).Line + 1;
        foreach (var d in diagnostics)
        {
            stats.Ids[d.Id] = stats.Ids.GetValueOrDefault(d.Id) + 1;
            var span = d.Location.GetLineSpan();
            if (d.Id == "TS0900") stats.Fail(how, text, $"internal error: {d.GetMessage(CultureInfo.InvariantCulture)}");
            if (span.Path != MutantPath) stats.Fail(how, text, $"{d.Id} is located in '{span.Path}', not in the spec: {d.GetMessage(CultureInfo.InvariantCulture)}");
            else if (span.StartLinePosition.Line >= lines || span.EndLinePosition.Line >= lines)
                stats.Fail(how, text, $"{d.Id} points at line {span.StartLinePosition.Line + 1} of a {lines}-line file");
            if (valid && d.Severity == DiagnosticSeverity.Error)
                stats.Fail(how, text, $"a model was generated despite error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}");
        }
        if (!valid && !diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            stats.Fail(how, text, $"no model and no error (diagnostics: {string.Join(", ", diagnostics.Select(d => d.Id))})");
    }

    // ---- mutations ----------------------------------------------------------------------

    private static readonly string[] Numbers =
    {
        "0", "-1", "-3", "1", "2", "7", "100000", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "4294967296", "9223372036854775807", "99999999999999999999999", "0.5", "0.95", "1.0", "1e400", "-0", "+5", "0x10", "NaN", ".inf", "-.inf", "1_000",
    };

    private static readonly string[] Words =
    {
        "conv", "convv", "dense", "flatten", "maxpool", "avgpool", "dropout", "softmax", "relu", "same", "valid", "name", "type", "kernel",
        "filters", "stride", "padding", "units", "rate", "output", "groups", "model", "input", "layers", "class", "null", "~", "true", "", "''",
        "[1, 2, 3]", "[]", "{}", "register_components", "info", "conv_1", "Conv1", "[3, 3]", "{ a: 1 }", "227x227x3", "0x0x0", "9999999999x1x1", "1x1", "12x12x256", "*a", "&a x", "!!binary AAAA", "|", ">-", "@", "`",
    };

    private static readonly string Punctuation = ":,[]{}-#&*!|>'\"%@`? \t\n\\x0123456789";

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[A-Za-z_]+")]
    private static partial Regex WordPattern();

    /// <summary>One to three mutations of a spec, and a description of them.</summary>
    internal static (string Text, string How) Mutate(string text, Random random)
    {
        int n = random.Next(10) < 7 ? 1 : random.Next(2, 4);
        var how = new List<string>();
        for (int i = 0; i < n; i++)
        {
            int kind = random.Next(14);
            (text, string what) = kind switch
            {
                0 => DeleteChars(text, random),
                1 => InsertChar(text, random),
                2 => SwapRows(text, random),
                3 => DuplicateRow(text, random),
                4 => ReplaceNumber(text, random),
                5 => ReplaceNumber(text, random),
                6 => Truncate(text, random),
                7 => RandomBytes(text, random),
                8 => DeepNesting(text, random),
                9 => LongLine(text, random),
                10 => ReplaceWord(text, random),
                11 => DeleteKey(text, random),
                12 => DeleteLine(text, random),
                _ => ReplaceNumber(text, random),
            };
            how.Add(what);
        }
        return (text, string.Join("; ", how));
    }

    private static (string, string) DeleteChars(string text, Random r)
    {
        if (text.Length == 0) return (text, "delete (empty)");
        int at = r.Next(text.Length), length = Math.Min(text.Length - at, r.Next(1, 4));
        return (text.Remove(at, length), $"delete {length} at {at}");
    }

    private static (string, string) InsertChar(string text, Random r)
    {
        int at = r.Next(text.Length + 1);
        char c = Punctuation[r.Next(Punctuation.Length)];
        return (text.Insert(at, c.ToString()), $"insert '{c}' at {at}");
    }

    private static List<int> RowLines(string[] lines) =>
        Enumerable.Range(0, lines.Length).Where(i => lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal)).ToList();

    private static (string, string) SwapRows(string text, Random r)
    {
        var lines = text.Split('\n');
        var rows = RowLines(lines);
        if (rows.Count < 2) return (text, "swap (no rows)");
        int a = rows[r.Next(rows.Count)], b = rows[r.Next(rows.Count)];
        (lines[a], lines[b]) = (lines[b], lines[a]);
        return (string.Join('\n', lines), $"swap lines {a + 1} and {b + 1}");
    }

    private static (string, string) DuplicateRow(string text, Random r)
    {
        var lines = text.Split('\n').ToList();
        var rows = RowLines(lines.ToArray());
        if (rows.Count == 0) return (text, "duplicate (no rows)");
        int a = rows[r.Next(rows.Count)];
        lines.Insert(r.Next(2) == 0 ? a : rows[r.Next(rows.Count)], lines[a]);
        return (string.Join('\n', lines), $"duplicate line {a + 1}");
    }

    private static (string, string) ReplaceNumber(string text, Random r)
    {
        var matches = NumberPattern().Matches(text);
        if (matches.Count == 0) return (text, "number (none)");
        var m = matches[r.Next(matches.Count)];
        string value = r.Next(4) == 0 ? r.Next(-20, 3000).ToString(CultureInfo.InvariantCulture) : Numbers[r.Next(Numbers.Length)];
        return (text.Remove(m.Index, m.Length).Insert(m.Index, value), $"number at {m.Index} -> {value}");
    }

    private static (string, string) Truncate(string text, Random r)
    {
        int at = r.Next(text.Length + 1);
        return (text.Substring(0, at), $"truncate at {at}");
    }

    private static (string, string) RandomBytes(string text, Random r)
    {
        var bytes = new byte[r.Next(1, 64)];
        r.NextBytes(bytes);
        string noise = Encoding.UTF8.GetString(bytes);
        if (r.Next(8) == 0) return (noise + new string((char)r.Next(0, 32), r.Next(1, 200)), "random bytes as the whole file");
        int at = r.Next(text.Length + 1), length = Math.Min(text.Length - at, r.Next(0, 16));
        return (text.Remove(at, length).Insert(at, noise), $"random {bytes.Length} bytes at {at}");
    }

    private static (string, string) DeepNesting(string text, Random r)
    {
        int depth = r.Next(2) == 0 ? r.Next(10, 60) : r.Next(100, 1000);
        bool flow = r.Next(3) > 0;
        string nested = flow
            ? (r.Next(2) == 0 ? new string('[', depth) + "1" + new string(']', depth) : string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth))
            : string.Concat(Enumerable.Range(0, Math.Min(depth, 200)).Select(i => "\n" + new string(' ', 2 * i + 2) + "k:")) + " 1";
        var matches = NumberPattern().Matches(text);
        if (matches.Count == 0 || r.Next(4) == 0) return (text + "\nextra: " + nested + "\n", $"nesting {depth} at the end");
        var m = matches[r.Next(matches.Count)];
        return (text.Remove(m.Index, m.Length).Insert(m.Index, nested), $"nesting {depth} at {m.Index}");
    }

    private static (string, string) LongLine(string text, Random r)
    {
        int length = r.Next(2) == 0 ? r.Next(1000, 5000) : r.Next(20_000, 100_000);
        string filler = r.Next(3) switch { 0 => new string('a', length), 1 => string.Concat(Enumerable.Repeat("9", length)), _ => string.Join(", ", Enumerable.Repeat("3", length / 3)) };
        int at = r.Next(text.Length + 1);
        return r.Next(3) switch
        {
            0 => (text.Insert(at, filler), $"long text {length} at {at}"),
            1 => (text + $"\n  - {{ name: {filler}, type: dropout, rate: 0.5 }}\n", $"long name {length}"),
            _ => (text + $"\n  - {{ type: conv, kernel: [{filler}], filters: 4 }}\n", $"long list {length}"),
        };
    }

    private static (string, string) ReplaceWord(string text, Random r)
    {
        var matches = WordPattern().Matches(text);
        if (matches.Count == 0) return (text, "word (none)");
        var m = matches[r.Next(matches.Count)];
        string value = Words[r.Next(Words.Length)];
        return (text.Remove(m.Index, m.Length).Insert(m.Index, value), $"word '{m.Value}' at {m.Index} -> '{value}'");
    }

    private static (string, string) DeleteKey(string text, Random r)
    {
        var matches = Regex.Matches(text, @"[a-z_]+: [^,}\n]*(, )?");
        if (matches.Count == 0) return (text, "delete key (none)");
        var m = matches[r.Next(matches.Count)];
        return (text.Remove(m.Index, m.Length), $"delete '{m.Value.Trim()}' at {m.Index}");
    }

    private static (string, string) DeleteLine(string text, Random r)
    {
        var lines = text.Split('\n').ToList();
        int a = r.Next(lines.Count);
        lines.RemoveAt(a);
        return (string.Join('\n', lines), $"delete line {a + 1}");
    }
}
