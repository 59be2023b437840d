using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Emit;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// The generator's property under fuzzing (issue 12, section 4): every spec is either rejected
/// with a TS error at the right line, or it compiles (no CS error or warning in the generated
/// code) and its model passes <see cref="ModelCheck"/> (built, one forward pass, every row's
/// shape and parameters as the spec says). Nothing throws, nothing takes more than a few seconds.
/// <para>
/// The mutants are the repository's specs (specs/**/*.yaml) changed one to three times by the
/// seeded mutator below (numbers, words, characters, rows, lines, nesting, long text, bytes),
/// plus every seed truncated at every position. Each goes through the generator's own steps
/// (read, resolve against the other seeds for <c>base:</c>, infer, emit); every
/// <see cref="DriverEvery"/>th through CSharpGeneratorDriver beside a valid witness spec that
/// must still become a model. An accepted mutant's C# is compiled in memory against TorchSharp
/// and the runtime, loaded into a collectible AssemblyLoadContext, and checked; identical
/// generated code is compiled once.
/// </para>
/// <para>
/// The right line: the first line the mutation changed is L; some error must be at L or after
/// it (a mutation cannot cause an error above itself), unless the error is about the whole file
/// (at its first key or at 1:1: a missing top-level key, an empty table). Every diagnostic must
/// be inside the file.
/// </para>
/// Settings (environment): TORCHSPECS_FUZZ_COUNT (mutants, default 300: the CI run),
/// TORCHSPECS_FUZZ_SEED (default 4), TORCHSPECS_FUZZ_TRUNCATE (1, the default: every truncation
/// is read and checked for its lines; 2: accepted truncations are also compiled and checked;
/// 0: none), TORCHSPECS_FUZZ_CHECK_MB (default 256: a model whose parameters and activations
/// need more is compiled but not run, and counted), TORCHSPECS_FUZZ_CHECK_SECONDS (default 20: the
/// most one check may take). scripts/fuzz-specs runs the long version.
/// </summary>
[Collection(TorchSpecs.Tests.Snapshots.SerialCollection.Name)]
public partial class SpecFuzzTests(ITestOutputHelper output)
{
    private const int DriverEvery = 8;
    private const string MutantPath = "/project/specs/fuzz/mutant.yaml";
    private const string WitnessPath = "/project/specs/fuzz/witness.yaml";
    private static readonly TimeSpan PerRunLimit = TimeSpan.FromSeconds(5);
    /// <summary>Building a model of up to the budget and one forward pass: a second or two on the idle machine; the default is generous for a loaded one.</summary>
    private static readonly TimeSpan CheckLimit = TimeSpan.FromSeconds(Setting("TORCHSPECS_FUZZ_CHECK_SECONDS", 20));

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

    private sealed record Seed(string Path, string Text, SpecSource Header)
    {
        public SpecFile File { get; } = SpecFamily.Read(Path, Text);
    }

    [Fact]
    public void EveryMutantIsRejectedAtTheRightLineOrCompilesAndPassesCheck()
    {
        int count = Setting("TORCHSPECS_FUZZ_COUNT", 300);
        int seed = Setting("TORCHSPECS_FUZZ_SEED", 4);
        int truncate = Setting("TORCHSPECS_FUZZ_TRUNCATE", 1);
        long budget = Setting("TORCHSPECS_FUZZ_CHECK_MB", 256) * 1024L * 1024L;
        var seeds = RepoFiles.Specs().Select(p => (Path: p, Text: File.ReadAllText(p)))
            .Select(s => new Seed(s.Path, s.Text, SpecParser.ReadHeader(s.Path, s.Text))).ToList();
        Assert.True(seeds.Count >= 8, $"expected the repository's specs, found {seeds.Count}");

        var stats = new Stats(budget);
        var random = new Random(seed);
        var total = Stopwatch.StartNew();
        // Warm up (references, JIT) outside the per-run time limit.
        GeneratorRun? driver = GeneratorHarness.Run(new[] { new InMemorySpec(MutantPath, seeds[0].Text), new InMemorySpec(WitnessPath, Witness) }, GeneratorHarness.Compilation());

        for (int i = 0; i < count; i++)
        {
            var original = seeds[random.Next(seeds.Count)];
            var (text, how) = Mutate(original.Text, random);
            var mutant = new Mutant(text, how, original, FirstChangedLine(original.Text, text));
            stats.Mutants++;
            if (i % DriverEvery == 0) driver = CheckThroughDriver(driver, mutant, seeds, stats);
            else CheckDirect(mutant, seeds, stats, compile: true);
        }

        int truncations = 0;
        if (truncate > 0)
        {
            foreach (var (spec, index) in seeds.Select((s, n) => (s, n)))
                for (int at = 0; at < spec.Text.Length; at++, truncations++)
                {
                    string text = spec.Text.Substring(0, at);
                    CheckDirect(new Mutant(text, $"seed {index} truncated at {at}", spec, FirstChangedLine(spec.Text, text)), seeds, stats, compile: truncate > 1);
                }
        }
        total.Stop();

        output.WriteLine($"seed {seed}: {count} mutants ({stats.DriverRuns} through CSharpGeneratorDriver) + {truncations} truncations of {seeds.Count} specs, in {total.Elapsed.TotalSeconds:F1} s; slowest run {stats.Slowest.TotalMilliseconds:F0} ms");
        output.WriteLine($"accepted: {stats.Accepted} ({stats.Compiled} distinct models compiled, {stats.Checked} of them built and run by ModelCheck, {stats.OverBudget} over the {budget / (1024 * 1024)} MB budget compiled only; slowest check {stats.SlowestCheck.TotalSeconds:F1} s); rejected: {stats.Rejected}");
        output.WriteLine($"crashes {stats.Count("crash")}, CS errors {stats.Count("cs")}, wrong lines {stats.Count("line")}, accepted-but-failing {stats.Count("check")}, no error for a rejected spec {stats.Count("silent")}, too slow {stats.Count("slow")}");
        output.WriteLine($"diagnostic IDs seen ({stats.Ids.Count}): {string.Join(", ", stats.Ids.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key} x{x.Value}"))}");
        output.WriteLine("time by first mutation: " + string.Join(", ", stats.ByKind.OrderByDescending(k => k.Value.Ms).Select(k => $"{k.Key} {k.Value.Runs} runs {k.Value.Ms / 1000:F1} s")));
        foreach (var failure in stats.Failures.Take(20)) output.WriteLine("FAILURE: " + failure);

        Assert.True(stats.Failures.Count == 0, $"{stats.Failures.Count} failures, first: {stats.Failures.FirstOrDefault()}");
        Assert.Equal(count + truncations, stats.DriverRuns + stats.DirectRuns);
        // The mutants reach far: at least the syntax, key, value, range and shape checks, and models that run.
        Assert.Superset(new HashSet<string> { "TS0001", "TS0003", "TS0004", "TS0006", "TS0007", "TS0101" }, stats.Ids.Keys.ToHashSet());
        Assert.True(stats.Checked > 0, "no accepted mutant was built and run");
    }

    /// <summary>A mutated spec, the seed it came from, and the first line (zero-based) the mutation changed.</summary>
    private sealed record Mutant(string Text, string How, Seed Original, int ChangedLine);

    /// <summary>The zero-based line, in <paramref name="mutant"/>, of the first character that differs from <paramref name="original"/>.</summary>
    internal static int FirstChangedLine(string original, string mutant)
    {
        int p = 0;
        while (p < original.Length && p < mutant.Length && original[p] == mutant[p]) p++;
        // A CRLF split by the change still ends the line before it.
        if (p > 0 && p <= mutant.Length && mutant[p - 1] == '\r') p--;
        int line = YamlPrescan.EndOf(mutant.Substring(0, p)).Line;
        // A change on a line left blank (or a comment) is about the content line above it:
        // truncating after "layers:" leaves an empty table, which is reported at layers.
        var lines = YamlPrescan.Normalize(mutant).Split('\n');
        while (line > 0 && line < lines.Length && (lines[line].Trim().Length == 0 || lines[line].TrimStart().StartsWith('#'))) line--;
        if (line >= lines.Length) line = lines.Length - 1;
        return line;
    }

    private sealed class Stats(long budget)
    {
        public int Mutants, DriverRuns, DirectRuns, Accepted, Rejected, Compiled, Checked, OverBudget;
        public long Budget { get; } = budget;
        public TimeSpan Slowest, SlowestCheck;
        public readonly Dictionary<string, int> Ids = new(StringComparer.Ordinal);
        public readonly List<string> Failures = new();
        private readonly Dictionary<string, int> _byKind = new(StringComparer.Ordinal);
        /// <summary>Generated source → the problem compiling or checking it (null: compiled and passed, or over budget).</summary>
        public readonly Dictionary<string, string?> Models = new(StringComparer.Ordinal);

        public int Count(string kind) => _byKind.GetValueOrDefault(kind);

        public void Fail(string kind, Mutant mutant, string problem)
        {
            _byKind[kind] = Count(kind) + 1;
            if (Failures.Count >= 50) return;
            string file = Path.Combine(Path.GetTempPath(), $"torchspecs-fuzz-{Failures.Count}.yaml");
            File.WriteAllText(file, mutant.Text);
            Failures.Add($"{kind}: {problem} [{mutant.How}; input saved to {file}]");
        }

        public readonly Dictionary<string, (int Runs, double Ms)> ByKind = new(StringComparer.Ordinal);

        public void Time(TimeSpan elapsed, Mutant mutant)
        {
            string kind = mutant.How.Split(' ')[0];
            var (runs, ms) = ByKind.GetValueOrDefault(kind);
            ByKind[kind] = (runs + 1, ms + elapsed.TotalMilliseconds);
            if (elapsed > Slowest) Slowest = elapsed;
            if (elapsed > PerRunLimit) Fail("slow", mutant, $"the run took {elapsed.TotalSeconds:F1} s (limit {PerRunLimit.TotalSeconds} s)");
        }
    }

    /// <summary>
    /// The generator's steps called as it calls them: read, resolve <c>base:</c> against the other
    /// seeds, infer, emit; the diagnostics made into Roslyn ones; an accepted model compiled and checked.
    /// </summary>
    private static void CheckDirect(Mutant mutant, IReadOnlyList<Seed> seeds, Stats stats, bool compile)
    {
        stats.DirectRuns++;
        var watch = Stopwatch.StartNew();
        try
        {
            var file = SpecFamily.Read(MutantPath, mutant.Text);
            var project = seeds.Where(s => s.Path != mutant.Original.Path).Select(s => s.File).Append(file).ToImmutableArray();
            var result = TorchSpecsGenerator.Infer(SpecFamily.Resolve(file, project));
            string? source = result.Plan is null ? null : ModelEmitter.Emit(result.Plan, GeneratorHarness.Namespace, "specs/fuzz/mutant.yaml").Source;
            var diagnostics = result.Diagnostics.Select(d => d.ToDiagnostic()).ToList();
            watch.Stop();
            stats.Time(watch.Elapsed, mutant);
            CheckDiagnostics(diagnostics, result.Plan is not null, mutant, stats);
            if (source is not null && compile)
                CompileAndCheck(source, $"{result.Plan!.Spec.Namespace ?? GeneratorHarness.Namespace}.{result.Plan.Spec.Model}", mutant, stats);
        }
        catch (Exception e)
        {
            stats.Fail("crash", mutant, $"{e.GetType().Name} escaped: {e.Message}");
        }
    }

    /// <summary>The real thing: one driver, re-run on each mutant beside the witness spec.</summary>
    private static GeneratorRun? CheckThroughDriver(GeneratorRun? previous, Mutant mutant, IReadOnlyList<Seed> seeds, Stats stats)
    {
        stats.DriverRuns++;
        // The seeds a derived mutant is built on (base:, its base's base, ...) are in the project too.
        var chain = new List<Seed>();
        for (string? wanted = SpecParser.ReadHeader(MutantPath, mutant.Text).Base; wanted is not null;)
        {
            var next = seeds.FirstOrDefault(s => s.Header.Model == wanted && s.Path != mutant.Original.Path && !chain.Contains(s));
            if (next is null) break;
            chain.Add(next);
            wanted = next.Header.Base;
        }
        var specs = new[] { new InMemorySpec(MutantPath, mutant.Text), new InMemorySpec(WitnessPath, Witness) }
            .Concat(chain.Select((c, n) => new InMemorySpec($"/project/specs/fuzz/base{n}.yaml", c.Text))).ToArray();
        var watch = Stopwatch.StartNew();
        GeneratorRun run;
        try
        {
            run = previous is null ? GeneratorHarness.Run(specs, GeneratorHarness.Compilation()) : previous.Rerun(specs);
        }
        catch (Exception e)
        {
            stats.Fail("crash", mutant, $"{e.GetType().Name} escaped the driver: {e.Message}");
            return null;
        }
        watch.Stop();
        stats.Time(watch.Elapsed, mutant);

        var result = run.Result.Results.Single();
        if (result.Exception is not null)
            stats.Fail("crash", mutant, $"the generator threw {result.Exception.GetType().Name}: {result.Exception.Message}");
        if (run.GeneratorDiagnostics.FirstOrDefault(d => d.Id == "CS8785") is { } crash)
            stats.Fail("crash", mutant, $"CS8785: {crash.GetMessage(CultureInfo.InvariantCulture)}");
        if (!run.HintNames.Contains($"{GeneratorHarness.Namespace}.FuzzWitness.g.cs"))
            stats.Fail("crash", mutant, "the valid witness spec was not generated beside the mutant");

        var mine = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path == MutantPath || !d.Location.GetLineSpan().Path.StartsWith("/project/specs/fuzz/", StringComparison.Ordinal)).ToList();
        // The witness and the bases may only get the duplicate-name error the mutant causes by taking their name.
        var others = run.GeneratorDiagnostics.Where(d => !mine.Contains(d) && d.Id != "TS0011").ToList();
        if (others.Count > 0) stats.Fail("crash", mutant, $"a valid spec beside the mutant got {others[0].Id}: {others[0].GetMessage(CultureInfo.InvariantCulture)}");

        // A model is generated for the mutant when its file gives a model: the generated files other than the witness's, the bases' and the catalog.
        var fixedModels = new HashSet<string>(StringComparer.Ordinal) { "FuzzWitness" };
        foreach (var c in chain) if (c.Header.Model is { } m) fixedModels.Add(m);
        var generated = result.GeneratedSources
            .Where(s => !s.HintName.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal))
            .Where(s => !fixedModels.Any(m => s.HintName.EndsWith($".{m}.g.cs", StringComparison.Ordinal)))
            .ToList();
        CheckDiagnostics(mine, generated.Count > 0, mutant, stats);

        // The whole compilation, catalog included: warnings are errors in users' builds too.
        var problem = run.Output.GetDiagnostics().FirstOrDefault(d => d.Severity >= DiagnosticSeverity.Warning);
        if (problem is not null) stats.Fail("cs", mutant, $"the generated code does not compile cleanly: {problem}");
        return run;
    }

    /// <summary>Compiles one generated model in memory, loads it into a collectible context and runs <see cref="ModelCheck"/> on it.</summary>
    private static void CompileAndCheck(string source, string typeName, Mutant mutant, Stats stats)
    {
        if (!stats.Models.TryGetValue(source, out var problem))
        {
            problem = CompileAndCheck(source, typeName, stats);
            stats.Models[source] = problem;
        }
        if (problem is not null) stats.Fail(problem.StartsWith("CS", StringComparison.Ordinal) ? "cs" : "check", mutant, problem);
    }

    private static readonly Lazy<Compilation> EmptyCompilation = new(() => GeneratorHarness.Compilation());

    private static string? CompileAndCheck(string source, string typeName, Stats stats)
    {
        stats.Compiled++;
        // Derived from one compilation, so the references' symbols (TorchSharp's are large) are bound once.
        var compilation = EmptyCompilation.Value.AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions)).WithAssemblyName($"FuzzModel{stats.Compiled}");
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var bad = emitted.Diagnostics.FirstOrDefault(d => d.Severity >= DiagnosticSeverity.Warning);
        if (bad is not null || !emitted.Success) return $"CS: the generated model does not compile cleanly: {bad}";

        var context = new System.Runtime.Loader.AssemblyLoadContext($"fuzz{stats.Compiled}", isCollectible: true);
        try
        {
            image.Position = 0;
            var type = context.LoadFromStream(image).GetType(typeName) ?? throw new InvalidOperationException($"no type {typeName}");
            var info = (ModelInfo)type.GetProperty("Info")!.GetValue(null)!;
            // What building and running it needs: float32 parameters and each row's output at batch 1.
            long bytes = 4 * (info.TotalParams + info.Input.Elements + info.Layers.Sum(l => l.Output.Elements));
            if (bytes > stats.Budget)
            {
                stats.OverBudget++;
                return null;
            }
            var watch = Stopwatch.StartNew();
            var report = ModelCheck.Run(info, batch: 1);
            watch.Stop();
            stats.Checked++;
            if (!report.Passed) return $"check failed on {info.Name}: {string.Join("; ", report.Problems.Take(3))}";
            stats.SlowestCheck = watch.Elapsed > stats.SlowestCheck ? watch.Elapsed : stats.SlowestCheck;
            if (watch.Elapsed > CheckLimit) return $"check took {watch.Elapsed.TotalSeconds:F1} s (limit {CheckLimit.TotalSeconds} s)";
            return null;
        }
        catch (Exception e)
        {
            return $"check threw {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            context.Unload();
        }
    }

    private static void CheckDiagnostics(IReadOnlyList<Diagnostic> diagnostics, bool valid, Mutant mutant, Stats stats)
    {
        if (valid) stats.Accepted++; else stats.Rejected++;
        string text = mutant.Text;
        // Lines as editors count them: LF, CRLF and a lone CR end a line.
        int lines = YamlPrescan.EndOf(text).Line + 1;
        int fileLine = FirstKeyLine(text);
        foreach (var d in diagnostics)
        {
            stats.Ids[d.Id] = stats.Ids.GetValueOrDefault(d.Id) + 1;
            var span = d.Location.GetLineSpan();
            if (d.Id == "TS0900") stats.Fail("crash", mutant, $"internal error: {d.GetMessage(CultureInfo.InvariantCulture)}");
            if (span.Path != MutantPath) stats.Fail("line", mutant, $"{d.Id} is located in '{span.Path}', not in the spec: {d.GetMessage(CultureInfo.InvariantCulture)}");
            else if (span.StartLinePosition.Line >= lines || span.EndLinePosition.Line >= lines)
                stats.Fail("line", mutant, $"{d.Id} points at line {span.StartLinePosition.Line + 1} of a {lines}-line file");
            if (valid && d.Severity == DiagnosticSeverity.Error)
                stats.Fail("silent", mutant, $"a model was generated despite error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}");
        }
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (!valid && errors.Count == 0)
            stats.Fail("silent", mutant, $"no model and no error (diagnostics: {string.Join(", ", diagnostics.Select(d => d.Id))})");
        if (errors.Count > 0 && !errors.Any(d => AtOrAfter(d, mutant.ChangedLine) || AboutTheFile(d, fileLine)))
        {
            var first = errors[0].Location.GetLineSpan().StartLinePosition;
            stats.Fail("line", mutant, $"every error is above line {mutant.ChangedLine + 1}, the first the mutation changed: {errors[0].Id} at ({first.Line + 1},{first.Character + 1}): {errors[0].GetMessage(CultureInfo.InvariantCulture)}");
        }
    }

    private static bool AtOrAfter(Diagnostic d, int line) => d.Location.GetLineSpan().EndLinePosition.Line >= line;

    /// <summary>Problems of the file as a whole are reported at its first key (the top mapping) or at 1:1.</summary>
    private static bool AboutTheFile(Diagnostic d, int firstKeyLine)
    {
        int line = d.Location.GetLineSpan().StartLinePosition.Line;
        return line == 0 || line == firstKeyLine;
    }

    /// <summary>The zero-based line of the first line that is not blank or a comment.</summary>
    private static int FirstKeyLine(string text)
    {
        var lines = YamlPrescan.Normalize(text).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string t = lines[i].Trim();
            if (t.Length > 0 && t[0] != '#') return i;
        }
        return 0;
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
