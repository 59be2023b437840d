using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using TorchSpecs.Generator.Kinds;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Diagnostics;
using Xunit.Abstractions;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// The schema and the parser agree value by value: every key of every layer type (and the
/// top-level keys, and a derived spec's edit rows) is given each probe value, and the parser's
/// verdict (a TS00xx diagnostic or none) must be the schema's (JsonSchema.Net, draft-07). Keys,
/// types, enums, ranges and required keys are all covered this way; the few cases a JSON Schema
/// cannot express are listed in <see cref="KnownLimits"/>, and that list must stay exact.
/// </summary>
public class SchemaAgreementTests(ITestOutputHelper output)
{
    /// <summary>A value written as YAML and as the JSON an editor's YAML engine reads it as (YAML 1.2 core schema).</summary>
    internal sealed record Probe(string Yaml, JsonNode? Json)
    {
        public override string ToString() => Yaml;
    }

    private static Probe P(string yaml, JsonNode? json) => new(yaml, json);
    private static Probe P(string plain) => new(plain, JsonValue.Create(plain));
    private static Probe Ints(string yaml, params long[] values) => new(yaml, new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()));

    internal static readonly Probe[] Probes =
    {
        P("1", 1), P("3", 3), P("0", 0), P("-1", -1), P("2147483647", 2147483647), P("2147483648", 2147483648L),
        P("2.5", 2.5), P("0.5", 0.5), P("1e-4", 1e-4), P("0.95", 0.95), P("1.5", 1.5), P("-0.5", -0.5),
        P("\"3\"", "3"), P("abc"), P("true", true), P("false", false), P("~", null),
        Ints("[3, 5]", 3, 5), Ints("[3]", 3), Ints("[1, 2, 3]", 1, 2, 3), Ints("[1, 2, 3, 4]", 1, 2, 3, 4), Ints("[0, 0]", 0, 0),
        Ints("[-1, 2]", -1, 2), Ints("[]"), Ints("[1, 2, 3, 4, 5]", 1, 2, 3, 4, 5),
        P("same"), P("valid"), P("sam"),
        P("relu"), P("linear"), P("softmax"), P("none"), P("nonsense"),
        P("normal(0, 0.01)"), P("truncated_normal(0, 0.005)"), P("normal(0, -1)"), P("normal(0, 0)"), P("normal(0.01)"), P("he"), P("zeros"), P("uniform"),
        P("6x6"), P("6x6x4"), P("0x6x4"), P("6x6x0"), P("1x1"), P("0x1"), P("6x6x4x1"),
        P("features.0"), P("features..0"), P("conv_9"), P("9conv"),
        P("{ a: 1 }", new JsonObject { ["a"] = 1 }),
        P("Probe2"), P("My.Models"), P("Modèle"), P("class"), P("after_conv"), P("after_activation"), P("after_pool"),
    };

    /// <summary>
    /// Where the schema and the parser may disagree, and why: each disagreement must match one of
    /// these, and each of these must match a disagreement.
    /// </summary>
    internal static readonly (System.Text.RegularExpressions.Regex Where, string Why)[] KnownLimits =
    {
        (new(@"^(\w+ )?(name|torch_name|model name|description|source|namespace): (-?[0-9.e-]+|true|false) \[parser accepts, schema rejects\]$"),
            "stricter: a text key takes a string in the schema; the parser reads any plain scalar (42, 2.5, true) as its text"),
        (new(@"^(\w+ )?(name|torch_name|model name|namespace): Modèle \[parser accepts, schema rejects\]$"),
            "stricter: names are ASCII in the schema; C# identifiers (and torch_name) may have other letters"),
    };

    private const string Path = "/project/specs/probe.yaml";
    private const string BasePath = "/project/specs/small.yaml";

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(RepoFiles.Read(SchemaWriter.RelativePath)));

    private static readonly string BaseYaml = "model: Small\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }\n  - { name: flatten, type: flatten, output: 256 }\n";

    /// <summary>
    /// A minimal valid row of each type, from its definition: its required keys and the first of each
    /// group of alternatives, each with its definition's example.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, List<(string Key, Probe Value)>> MinimalRows =
        LayerDefinitions.All.ToDictionary(d => d.TypeName, d => d.Keys
            .Where(k => k.Required || (k.OneOf is { } group && d.Keys.First(o => o.OneOf == group) == k))
            .Select(k => (k.Name, new Probe(k.Example, SpecFormat.Json(k.Example))))
            .ToList());

    /// <summary>A spec as YAML and as JSON from one list of entries (block style, one key a line).</summary>
    internal static (string Yaml, JsonNode Json) Spec(List<(string Key, Probe Value)> top, List<List<(string Key, Probe Value)>>? rows)
    {
        var yaml = new StringBuilder();
        var json = new JsonObject();
        foreach (var (key, value) in top)
        {
            yaml.Append(key).Append(": ").Append(value.Yaml).Append('\n');
            json[key] = value.Json?.DeepClone();
        }
        if (rows is not null)
        {
            yaml.Append("layers:\n");
            var array = new JsonArray();
            foreach (var row in rows)
            {
                var obj = new JsonObject();
                for (int i = 0; i < row.Count; i++)
                {
                    yaml.Append(i == 0 ? "  - " : "    ").Append(row[i].Key).Append(": ").Append(row[i].Value.Yaml).Append('\n');
                    obj[row[i].Key] = row[i].Value.Json?.DeepClone();
                }
                array.Add(obj);
            }
            json["layers"] = array;
        }
        return (yaml.ToString(), json);
    }

    /// <summary>The parser's verdict: does the spec have a TS00xx diagnostic (a problem of the YAML or a value, not of shapes)?</summary>
    internal static bool ParserAccepts(string yaml, bool withBase)
    {
        var file = SpecFamily.Read(Path, yaml);
        var project = new List<SpecFile> { file };
        if (withBase) project.Add(SpecFamily.Read(BasePath, BaseYaml));
        var resolved = SpecFamily.Resolve(file, project.ToImmutableArray());
        return !resolved.Parsed.Diagnostics.Any(d => d.Id.StartsWith("TS00", StringComparison.Ordinal));
    }

    internal static bool SchemaAccepts(JsonNode json)
    {
        using var document = JsonDocument.Parse(json.ToJsonString());
        return Schema.Value.Evaluate(document.RootElement).IsValid;
    }

    private static readonly List<(string Key, Probe Value)> Header = new() { ("model", P("Probe")), ("input", P("8x8x3")) };

    /// <summary>Every case: where, the YAML and JSON, and whether the spec has a base.</summary>
    internal static IEnumerable<(string Where, string Yaml, JsonNode Json, bool WithBase)> Cases()
    {
        var allKeys = ParserTables.CommonRowKeys.Concat(ParserTables.RowKeys.Values.SelectMany(k => k)).Concat(ParserTables.EditKeys).Distinct().ToList();
        foreach (var type in ParserTables.LayerTypes.Keys)
        {
            var minimal = new List<(string, Probe)> { ("type", P(type)) }.Concat(MinimalRows[type]).ToList();
            // Each key the type takes, and each it does not, with every probe value.
            foreach (var key in allKeys)
            {
                if (key == "type") continue;
                foreach (var probe in Probes)
                {
                    var row = minimal.Where(e => e.Item1 != key).Append((key, probe)).ToList();
                    var (yaml, json) = Spec(Header, new() { row });
                    yield return ($"{type} {key}: {probe}", yaml, json, false);
                }
            }
            // Each key of the minimal row left out (type too): required or not.
            foreach (var (key, _) in minimal)
            {
                var (yaml, json) = Spec(Header, new() { minimal.Where(e => e.Item1 != key).ToList() });
                yield return ($"{type} without {key}", yaml, json, false);
            }
            var (ok, okJson) = Spec(Header, new() { minimal });
            yield return ($"{type} minimal", ok, okJson, false);
        }
        foreach (var probe in Probes)
        {
            var (yaml, json) = Spec(Header, new() { new() { ("type", probe) } });
            yield return ($"type: {probe}", yaml, json, false);
        }

        // Top-level keys.
        var flatten = new List<List<(string, Probe)>> { new() { ("type", P("flatten")) } };
        foreach (var key in new[] { "model", "description", "source", "namespace", "input", "batchnorm" })
            foreach (var probe in Probes)
            {
                var top = Header.Where(e => e.Key != key).Append((key, probe)).ToList();
                var (yaml, json) = Spec(top, flatten);
                yield return ($"{(key == "model" ? "model name" : key)}: {probe}", yaml, json, false);
            }
        foreach (var key in new[] { "model", "input" })
        {
            var (yaml, json) = Spec(Header.Where(e => e.Key != key).ToList(), flatten);
            yield return ($"spec without {key}", yaml, json, false);
        }
        {
            var (yaml, json) = Spec(Header, null);
            yield return ("spec without layers", yaml, json, false);
            var (unknown, unknownJson) = Spec(Header.Append(("inptu", P("8x8x3"))).ToList(), flatten);
            yield return ("spec with inptu", unknown, unknownJson, false);
        }

        // defaults: a mapping of row keys (their values are checked where a row takes them).
        foreach (var (where, value) in new[]
        {
            ("defaults: { weight_init: he }", P("{ weight_init: he }", new JsonObject { ["weight_init"] = "he" })),
            ("defaults: { kernal: 3 }", P("{ kernal: 3 }", new JsonObject { ["kernal"] = 3 })),
            ("defaults: { name: x }", P("{ name: x }", new JsonObject { ["name"] = "x" })),
            ("defaults: 3", P("3", 3)),
            ("defaults: ~", P("~", null)),
        })
        {
            var (yaml, json) = Spec(Header.Append(("defaults", value)).ToList(), new() { new() { ("type", P("conv")), ("kernel", P("3", 3)), ("filters", P("4", 4)) } });
            yield return (where, yaml, json, false);
        }

        // A derived spec's rows (base: Small).
        var derived = new List<(string, Probe)> { ("model", P("Derived")), ("base", P("Small")) };
        var edits = new (string Where, List<(string, Probe)> Row)[]
        {
            ("change", new() { ("name", P("conv1")), ("filters", P("8", 8)) }),
            ("change with a key of no type", new() { ("name", P("conv1")), ("filtres", P("8", 8)) }),
            ("change without name", new() { ("filters", P("8", 8)) }),
            ("replace", new() { ("name", P("conv1")), ("type", P("maxpool")), ("kernel", P("1", 1)) }),
            ("insert after", new() { ("after", P("conv1")), ("name", P("conv2")), ("type", P("conv")), ("kernel", P("1", 1)), ("filters", P("4", 4)) }),
            ("insert before", new() { ("before", P("flatten")), ("type", P("dropout")), ("rate", P("0.5", 0.5)) }),
            ("insert without type", new() { ("after", P("conv1")), ("name", P("conv2")), ("kernel", P("1", 1)) }),
            ("insert with an unknown key", new() { ("after", P("conv1")), ("name", P("conv2")), ("type", P("conv")), ("kernel", P("1", 1)), ("filters", P("4", 4)), ("units", P("3", 3)) }),
            ("insert missing a required key", new() { ("after", P("conv1")), ("name", P("conv2")), ("type", P("conv")), ("kernel", P("1", 1)) }),
            ("after and before", new() { ("after", P("conv1")), ("before", P("flatten")), ("type", P("flatten")) }),
            ("remove", new() { ("name", P("conv1")), ("remove", P("true", true)) }),
            ("remove false", new() { ("name", P("conv1")), ("remove", P("false", false)) }),
            ("remove with another key", new() { ("name", P("conv1")), ("remove", P("true", true)), ("filters", P("8", 8)) }),
            ("remove without name", new() { ("remove", P("true", true)) }),
        };
        foreach (var (where, row) in edits)
        {
            var (yaml, json) = Spec(derived, new() { row });
            yield return ($"derived: {where}", yaml, json, true);
        }
        {
            var (yaml, json) = Spec(derived, null);
            yield return ("derived without layers", yaml, json, true);
            var (rule, ruleJson) = Spec(derived.Append(("batchnorm", P("after_conv"))).ToList(), null);
            yield return ("derived with batchnorm", rule, ruleJson, true);
        }
    }

    internal static List<string> Disagreements(out int count)
    {
        var found = new List<string>();
        count = 0;
        foreach (var (where, yaml, json, withBase) in Cases())
        {
            count++;
            bool parser = ParserAccepts(yaml, withBase), schema = SchemaAccepts(json);
            if (parser != schema) found.Add($"{where} [parser {(parser ? "accepts" : "rejects")}, schema {(schema ? "accepts" : "rejects")}]");
        }
        return found;
    }

    [Fact]
    public void SchemaAndParserGiveTheSameVerdictOnEveryProbe()
    {
        var found = Disagreements(out int count);
        output.WriteLine($"{count} cases, {found.Count} disagreements");
        var unexpected = found.Where(f => !KnownLimits.Any(l => l.Where.IsMatch(f))).ToList();
        var gone = KnownLimits.Where(l => !found.Any(l.Where.IsMatch)).Select(l => l.Why).ToList();
        foreach (var (where, why) in KnownLimits) output.WriteLine($"{found.Count(where.IsMatch)} x {why}");
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} disagreements of {count} cases:\n" + string.Join("\n", unexpected));
        Assert.True(gone.Count == 0, "known limits that no longer disagree (remove them): " + string.Join(", ", gone));
        Assert.True(count > 2000, $"only {count} cases");
    }
}
