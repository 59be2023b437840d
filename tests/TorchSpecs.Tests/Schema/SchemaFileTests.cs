using System.Text.Json.Nodes;
using TorchSpecs.Generator.Kinds;
using TorchSpecs.Tests.Diagnostics;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// schema/torchspecs.schema.json is written from the layer-kind definitions and the parser's tables
/// (<see cref="SchemaWriter"/>): the committed file is what the writer gives today, its keys and
/// layer types are the parser's, and each row key carries its definition's form and words.
/// </summary>
public class SchemaFileTests
{
    private static JsonObject Committed() => JsonNode.Parse(RepoFiles.Read(SchemaWriter.RelativePath))!.AsObject();

    [Fact]
    public void CommittedSchemaIsWhatTheWriterGives()
    {
        string expected = SchemaWriter.Text();
        string path = RepoFiles.PathOf(SchemaWriter.RelativePath);
        if (Environment.GetEnvironmentVariable("TORCHSPECS_WRITE_SCHEMA") == "1")
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(path, expected);
        }
        Assert.True(File.Exists(path), $"{SchemaWriter.RelativePath} is missing: run the tests with TORCHSPECS_WRITE_SCHEMA=1");
        Assert.True(expected == File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal),
            $"{SchemaWriter.RelativePath} is not what SchemaWriter gives from the parser's tables: rerun with TORCHSPECS_WRITE_SCHEMA=1 and review the diff");
    }

    [Fact]
    public void TheSchemaIsAValidDraft07Schema()
    {
        using var document = System.Text.Json.JsonDocument.Parse(RepoFiles.Read(SchemaWriter.RelativePath));
        var result = Json.Schema.MetaSchemas.Draft7.Evaluate(document.RootElement, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? new List<Json.Schema.EvaluationResults>())
            .Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void TheDocumentationCoversExactlyTheParsersKeysInItsOrder()
    {
        // Top-level and edit keys are documented in SpecFormat; row keys by their kinds' definitions.
        Assert.Equal(ParserTables.TopLevelKeys, SpecFormat.TopLevel.Select(k => k.Key));
        Assert.Equal(ParserTables.EditKeys.Order(StringComparer.Ordinal), SpecFormat.EditKeyDescriptions.Keys.Order(StringComparer.Ordinal));
        // Each row key's example is a value of its own schema, and its default too where the schema carries one.
        var wrong = new List<string>();
        foreach (var definition in LayerDefinitions.All)
            foreach (var key in definition.AllKeys)
            {
                var property = SchemaWriter.Property(key);
                var schema = Json.Schema.JsonSchema.FromText(property.ToJsonString());
                foreach (var value in property["examples"]!.AsArray().Append(property["default"]).Where(v => v is not null))
                {
                    using var document = System.Text.Json.JsonDocument.Parse(value!.ToJsonString());
                    if (!schema.Evaluate(document.RootElement).IsValid) wrong.Add($"{definition.TypeName}.{key.Name}: {value.ToJsonString()}");
                }
                Assert.StartsWith(key.Description.TrimEnd('.'), property["description"]!.GetValue<string>(), StringComparison.Ordinal);
                if (key.Default is { } d && !key.Required) Assert.Contains($"Default: {d}.", property["description"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TheSchemasRowKeysAreTheirDefinitions()
    {
        var row = Committed()["else"]!["properties"]!["layers"]!["items"]!.AsObject();
        var descriptions = row["properties"]!["type"]!["enumDescriptions"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(LayerDefinitions.All.Select(d => d.Description.TrimEnd('.') + "."), descriptions);
        foreach (var definition in LayerDefinitions.All)
        {
            var branch = Branch(row, definition.TypeName);
            Assert.StartsWith(definition.Description.TrimEnd('.'), branch["description"]!.GetValue<string>(), StringComparison.Ordinal);
            var required = branch["required"]?.AsArray().Select(v => v!.GetValue<string>()) ?? Enumerable.Empty<string>();
            Assert.Equal(definition.Keys.Where(k => k.Required).Select(k => k.Name), required);
            var alternatives = branch["oneOf"]?.AsArray().Select(v => v!["required"]![0]!.GetValue<string>()) ?? Enumerable.Empty<string>();
            Assert.Equal(definition.Keys.Where(k => k.OneOf is not null).Select(k => k.Name), alternatives);
            foreach (var key in definition.AllKeys)
            {
                var property = branch["properties"]![key.Name]!.AsObject();
                Assert.Equal(SchemaWriter.Value(key).Select(p => p.Key), property.Where(p => p.Key is not ("description" or "examples" or "default" or "enumDescriptions")).Select(p => p.Key));
                Assert.Equal(SpecFormat.Json(key.Example)?.ToJsonString(), property["examples"]![0]?.ToJsonString());
                if (key.Range is { Min: double min } range && key.Type == KeyType.Integer)
                    Assert.Equal(range.MinInclusive ? min : min + 1, property["minimum"]!.GetValue<double>());
                if (key.Range is { Min: double low } numberRange && key.Type == KeyType.Number)
                    Assert.Equal(low, property[numberRange.MinInclusive ? "minimum" : "exclusiveMinimum"]!.GetValue<double>());
                if (key.Range is { Max: double high } upper && key.Type == KeyType.Number)
                    Assert.Equal(high, property[upper.MaxInclusive ? "maximum" : "exclusiveMaximum"]!.GetValue<double>());
                if (key.Type == KeyType.Choice && key != Keys.Type)
                    Assert.Equal(key.Choices.Concat(key.Synonyms), property["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
            }
        }
    }

    private static JsonObject Branch(JsonObject row, string type) => row["allOf"]!.AsArray()
        .Select(b => b!.AsObject())
        .Single(b => b["if"]?["properties"]?["type"]?["const"]?.GetValue<string>() == type)["then"]!.AsObject();

    private static IEnumerable<string> Names(JsonNode? properties) => properties!.AsObject().Select(p => p.Key);

    [Fact]
    public void TheSchemasKeysAndTypesAreTheParsers()
    {
        var schema = Committed();
        Assert.Equal("http://json-schema.org/draft-07/schema#", schema["$schema"]!.GetValue<string>());
        Assert.Equal(ParserTables.TopLevelKeys, Names(schema["properties"]));

        var row = schema["else"]!["properties"]!["layers"]!["items"]!.AsObject();
        Assert.Equal(ParserTables.CommonRowKeys, Names(row["properties"]));
        Assert.Equal(ParserTables.LayerTypes.Keys, row["properties"]!["type"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        var editRow = schema["then"]!["properties"]!["layers"]!["items"]!.AsObject();
        Assert.Equal(ParserTables.CommonRowKeys.Concat(ParserTables.EditKeys), Names(editRow["properties"]));
        foreach (var (type, kind) in ParserTables.LayerTypes)
        {
            var branch = Branch(row, type);
            Assert.Equal(ParserTables.CommonRowKeys.Concat(ParserTables.RowKeys[kind]), Names(branch["properties"]));
            Assert.False(branch["additionalProperties"]!.GetValue<bool>());
            Assert.Equal(ParserTables.CommonRowKeys.Concat(ParserTables.EditKeys).Concat(ParserTables.RowKeys[kind]), Names(Branch(editRow, type)["properties"]));
        }
        var defaults = ParserTables.RowKeys.Values.SelectMany(k => k).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(defaults, Names(schema["properties"]!["defaults"]!["properties"]).Order(StringComparer.Ordinal));
        Assert.Equal(ParserTables.BatchNormModes, schema["properties"]!["batchnorm"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public void EverySpecAndEverySpecExampleInTheDocsStartsWithTheSchemaModeline()
    {
        const string prefix = "# yaml-language-server: $schema=";
        string schema = RepoFiles.PathOf(SchemaWriter.RelativePath);
        var wrong = new List<string>();
        foreach (var file in EditorTests.SpecFiles())
        {
            string first = File.ReadLines(file).First();
            string target = first.StartsWith(prefix, StringComparison.Ordinal)
                ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, first.Substring(prefix.Length)))
                : "";
            if (target != schema) wrong.Add($"{Path.GetRelativePath(RepoFiles.Root, file)}: {first}");
        }
        // The docs' examples are specs in specs/: their modeline points from there.
        var examples = EditorTests.DocExamples().ToList();
        foreach (var section in DocsTests.Sections())
            examples.AddRange(section.Wrong.Select((b, i) => ($"diagnostics-{section.Id}-wrong-{i + 1}", b.Text)));
        foreach (var (name, text) in examples)
            if (!text.StartsWith(prefix + "../schema/torchspecs.schema.json\n", StringComparison.Ordinal)) wrong.Add($"{name}: {text.Split('\n')[0]}");
        Assert.True(File.Exists(Path.Combine(RepoFiles.Root, "specs", "../schema/torchspecs.schema.json")));
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.True(examples.Count > 60, $"only {examples.Count} examples");
    }

    [Fact]
    public void EveryKeyHasADescriptionAndAnExample()
    {
        var missing = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (node is JsonObject obj)
            {
                if (obj["properties"] is JsonObject properties)
                    foreach (var (key, value) in properties)
                    {
                        if (value?["description"] is not JsonValue d || d.GetValue<string>().Length < 10) missing.Add($"{path}.{key}: description");
                        if (value?["examples"] is not JsonArray { Count: > 0 }) missing.Add($"{path}.{key}: examples");
                    }
                // An if is a test, not a key's documentation.
                foreach (var (key, value) in obj.Where(e => e.Key != "if")) Walk(value, $"{path}/{key}");
            }
            else if (node is JsonArray array)
                for (int i = 0; i < array.Count; i++) Walk(array[i], $"{path}[{i}]");
        }
        Walk(Committed(), "#");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }
}
