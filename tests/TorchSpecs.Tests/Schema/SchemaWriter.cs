using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.CodeAnalysis.CSharp;
using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// Writes schema/torchspecs.schema.json (JSON Schema draft-07): the layer kinds and every row key
/// (form, range, choices, required keys, default, description, example) from the kinds'
/// definitions (<see cref="LayerDefinitions"/>, <see cref="KeyDefinition"/>), the top-level and
/// edit keys from <see cref="ParserTables"/> and <see cref="SpecFormat"/>. The committed file must equal what this writes
/// (<see cref="SchemaFileTests"/>); <c>TORCHSPECS_WRITE_SCHEMA=1 dotnet test --filter SchemaFileTests</c> rewrites it.
/// No <c>$ref</c>: draft-07 ignores a description beside one, and editors show the inline text.
/// </summary>
internal static class SchemaWriter
{
    public const string RelativePath = "schema/torchspecs.schema.json";
    public const string Id = "https://github.com/torchspecs/torchspecs/blob/main/schema/torchspecs.schema.json";

    private const string Dim = @"\s*0*[1-9][0-9]*\s*";

    private static JsonObject PositiveInt() => new() { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = int.MaxValue };
    private static JsonObject Array(JsonObject items, int min, int max) => new() { ["type"] = "array", ["items"] = items, ["minItems"] = min, ["maxItems"] = max };
    private static JsonObject AnyOf(params JsonObject[] options) => new() { ["anyOf"] = new JsonArray(options) };
    private static JsonObject Enum(IEnumerable<string> values) => new() { ["enum"] = new JsonArray(values.Select(v => (JsonNode)v!).ToArray()) };
    private static JsonObject Pattern(string pattern, params string[] types) =>
        new() { ["type"] = types.Length == 1 ? types[0] : new JsonArray(types.Select(t => (JsonNode)t!).ToArray()), ["pattern"] = pattern };

    /// <summary>The schema of a top-level value form; mirrors SpecParser's readers of the top-level keys.</summary>
    public static JsonObject Value(ValueForm form) => form switch
    {
        ValueForm.MapShape => Pattern($"^{Dim}x{Dim}x{Dim}$", "string"),
        ValueForm.Text => new JsonObject { ["type"] = new JsonArray("string", "null") },
        ValueForm.ModelName => ModelName(),
        ValueForm.Namespace => Pattern(NamespacePattern(), "string", "null"),
        ValueForm.BatchNormRule => Enum(ParserTables.BatchNormModes),
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "a form without a fixed schema"),
    };

    /// <summary>
    /// The schema of a row key's value, from its definition: its type's form, with its range (of
    /// each number, for pairs, sizes and paddings), its choices and synonyms, and its pattern.
    /// </summary>
    public static JsonObject Value(KeyDefinition key)
    {
        JsonObject Whole() => WholeNumber(key);
        switch (key.Type)
        {
            case KeyType.Integer: return Whole();
            case KeyType.Number: return Number(key);
            case KeyType.Boolean: return new JsonObject { ["type"] = "boolean" };
            case KeyType.Pair: return AnyOf(Whole(), Array(Whole(), 2, 2));
            case KeyType.Size:
                if (key.Range != ValueRange.Positive) throw Unsupported(key, "a size whose numbers are not positive whole numbers (its HxW pattern is written for those)");
                return AnyOf(Pattern($"^{Dim}x{Dim}$", "string"), Whole(), Array(Whole(), 2, 2));
            case KeyType.Padding:
                var list = Array(Whole(), 1, 4);
                list["not"] = new JsonObject { ["minItems"] = 3, ["maxItems"] = 3 };
                return key.Choices.Count > 0 ? AnyOf(Whole(), list, Enum(key.Choices)) : AnyOf(Whole(), list);
            case KeyType.Choice:
                // type: the layer kinds (Keys.Type cannot list them: the definitions hold Keys).
                var words = key == Keys.Type ? LayerDefinitions.TypeNames : key.Choices.Concat(key.Synonyms);
                if (!words.Any()) throw Unsupported(key, "a choice without choices");
                return Enum(words);
            case KeyType.Initializer:
                if (key.Pattern is null || key.Choices.Count == 0) throw Unsupported(key, "an initializer needs its words (Choices) and its function forms (Pattern)");
                return AnyOf(Enum(key.Choices), Pattern(key.Pattern, "string"));
            case KeyType.Shape:
                return AnyOf(Pattern($"^{Dim}x{Dim}x{Dim}$", "string"), PositiveInt());
            case KeyType.Text:
                return key.Pattern is { } pattern ? Pattern(pattern, "string") : new JsonObject { ["type"] = new JsonArray("string", "null") };
            default:
                throw Unsupported(key, $"the type {key.Type}");
        }
    }

    private static NotSupportedException Unsupported(KeyDefinition key, string what) =>
        new($"SchemaWriter cannot write the key '{key.Name}': {what}; add it to KeyDefinition and here");

    /// <summary>A whole number in the key's range (and in an int, as the reader holds it).</summary>
    private static JsonObject WholeNumber(KeyDefinition key)
    {
        var schema = new JsonObject { ["type"] = "integer" };
        var range = key.Range;
        if (range?.Min is double min) schema["minimum"] = (long)Math.Floor(min) + (range.MinInclusive && min == Math.Floor(min) ? 0 : 1);
        else schema["minimum"] = int.MinValue;
        if (range?.Max is double max) schema["maximum"] = (long)Math.Ceiling(max) - (range.MaxInclusive && max == Math.Ceiling(max) ? 0 : 1);
        else schema["maximum"] = int.MaxValue;
        return schema;
    }

    /// <summary>A number in the key's range, and one a float32 can hold (the reader's rule for every number, SpecLimits.Float32Problem).</summary>
    private static JsonObject Number(KeyDefinition key)
    {
        var schema = new JsonObject { ["type"] = "number" };
        var range = key.Range;
        if (range?.Min is double min) schema[range.MinInclusive ? "minimum" : "exclusiveMinimum"] = min;
        else schema["minimum"] = -(double)float.MaxValue;
        if (range?.Max is double max) schema[range.MaxInclusive ? "maximum" : "exclusiveMaximum"] = max;
        else schema["maximum"] = (double)float.MaxValue;
        return schema;
    }

    /// <summary>A C# identifier that is no keyword (Roslyn's list), not of lower-case letters only, and not the catalog's class name.</summary>
    private static JsonObject ModelName()
    {
        var reserved = SyntaxFacts.GetKeywordKinds().Concat(SyntaxFacts.GetContextualKeywordKinds())
            .Select(SyntaxFacts.GetText).Where(t => t.Length > 0 && char.IsLetter(t[0]))
            .Append("ModelCatalog").Distinct().Order(StringComparer.Ordinal);
        // Lower-case letters only are reserved for future keywords (CS8981): the reader refuses them.
        var schema = Pattern("^(?![a-z]+$)[A-Za-z_][A-Za-z0-9_]*$", "string");
        schema["not"] = Enum(reserved);
        return schema;
    }

    /// <summary>Dotted C# identifiers, none of them a keyword (Roslyn's list; contextual keywords are allowed).</summary>
    private static string NamespacePattern()
    {
        var keywords = SyntaxFacts.GetKeywordKinds().Select(SyntaxFacts.GetText).Where(t => t.Length > 0 && char.IsLetter(t[0])).Distinct().Order(StringComparer.Ordinal);
        return $@"^(?!(.*\.)?({string.Join("|", keywords)})(\.|$))[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$";
    }

    private static JsonArray Examples(KeySpec key) =>
        new(key.Examples.Select(e => JsonSerializer.SerializeToNode(e)).ToArray());

    /// <summary>A top-level key's schema: its value's, with its description and examples.</summary>
    private static JsonObject Property(KeySpec key, JsonObject? value = null) =>
        Documented(key.Description, Examples(key), value ?? Value(key.Form));

    private static JsonObject Documented(string description, JsonArray examples, JsonObject value)
    {
        var property = new JsonObject { ["description"] = description, ["examples"] = examples };
        foreach (var (k, v) in value) property[k] = v?.DeepClone();
        return property;
    }

    /// <summary>
    /// A row key's schema, all from its definition: its value's, its description with its default
    /// (and what it must be given with), its example, and its default as a JSON value where the
    /// default is one of its values (stride's "kernel" is a rule, not a value: it stays in the words).
    /// </summary>
    internal static JsonObject Property(KeyDefinition key)
    {
        var value = Value(key);
        var property = Documented(Describe(key), new JsonArray(SpecFormat.Json(key.Example)), value);
        if (key.Default is { } text && DefaultValue(text, value) is { } json) property["default"] = json;
        return property;
    }

    /// <summary>The key's description as the editor shows it: the definition's, then its default or that it is required.</summary>
    internal static string Describe(KeyDefinition key)
    {
        string text = key.Description.TrimEnd('.') + ".";
        if (key.Required) text += " Required.";
        else if (key.OneOf is { } group)
        {
            var alternatives = LayerDefinitions.All.Where(d => d.Keys.Contains(key)).SelectMany(d => d.Keys).Where(k => k.OneOf == group).Select(k => k.Name).Distinct();
            text += $" Give one of {string.Join(", ", alternatives)}.";
        }
        else if (key.Default is { } d) text += $" Default: {d}.";
        return text;
    }

    private static JsonNode? DefaultValue(string text, JsonObject value)
    {
        JsonNode? json;
        try { json = SpecFormat.Json(text); }
        catch (FormatException) { return null; }
        if (json is null) return null;
        var schema = JsonSchema.FromText(value.ToJsonString());
        using var document = JsonDocument.Parse(json.ToJsonString());
        return schema.Evaluate(document.RootElement).IsValid ? json : null;
    }

    private static JsonObject TypeProperty()
    {
        var property = Property(Keys.Type);
        property["enumDescriptions"] = new JsonArray(LayerDefinitions.All.Select(d => (JsonNode)$"{d.Description.TrimEnd('.')}."!).ToArray());
        return property;
    }

    private static JsonObject CommonProperties(bool edit)
    {
        var properties = new JsonObject();
        foreach (var key in Keys.Common) properties[key.Name] = key == Keys.Type ? TypeProperty() : Property(key);
        if (edit)
        {
            properties["after"] = EditKey("after", new JsonObject { ["type"] = "string" }, "conv1_1");
            properties["before"] = EditKey("before", new JsonObject { ["type"] = "string" }, "fc6");
            properties["remove"] = EditKey("remove", new JsonObject { ["const"] = true }, true);
        }
        return properties;
    }

    private static JsonObject EditKey(string key, JsonObject value, object example)
    {
        var property = new JsonObject { ["description"] = SpecFormat.EditKeyDescriptions[key], ["examples"] = new JsonArray(JsonSerializer.SerializeToNode(example)) };
        foreach (var (k, v) in value) property[k] = v?.DeepClone();
        return property;
    }

    /// <summary>What a row of one kind takes: exactly the common keys and its own, its required ones present, one of each group of alternatives.</summary>
    private static JsonObject Kind(LayerDefinition definition, bool edit)
    {
        var properties = CommonProperties(edit);
        foreach (var key in definition.Keys) properties[key.Name] = Property(key);
        var schema = new JsonObject
        {
            ["description"] = $"{definition.Description.TrimEnd('.')}, e.g. {definition.Example}",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        var required = definition.Keys.Where(k => k.Required).Select(k => (JsonNode)k.Name!).ToArray();
        if (required.Length > 0) schema["required"] = new JsonArray(required);
        var alternatives = definition.Keys.Where(k => k.OneOf is not null).GroupBy(k => k.OneOf)
            .Select(g => new JsonArray(g.Select(k => (JsonNode)new JsonObject { ["required"] = new JsonArray(k.Name) }).ToArray()))
            .ToList();
        if (alternatives.Count == 1) schema["oneOf"] = alternatives[0];
        else if (alternatives.Count > 1) schema["allOf"] = new JsonArray(alternatives.Select(a => (JsonNode)new JsonObject { ["oneOf"] = a }).ToArray());
        return schema;
    }

    private static JsonArray KindBranches(bool edit) => new(LayerDefinitions.All.Select(definition => (JsonNode)new JsonObject
    {
        ["if"] = new JsonObject { ["properties"] = new JsonObject { ["type"] = new JsonObject { ["const"] = definition.TypeName } }, ["required"] = new JsonArray("type") },
        ["then"] = Kind(definition, edit),
    }).ToArray());

    /// <summary>
    /// Every non-common row key with the value forms it has in any kind (size is HxW for resize,
    /// a count for lrn): for defaults, and for a derived spec's row that changes a base row.
    /// </summary>
    private static JsonObject AnyTypeProperties()
    {
        var properties = new JsonObject();
        foreach (var group in LayerDefinitions.All.SelectMany(d => d.Keys).GroupBy(k => k.Name))
        {
            var values = group.Select(Value).DistinctBy(v => v.ToJsonString()).ToArray();
            var examples = group.Select(k => SpecFormat.Json(k.Example)).DistinctBy(e => e?.ToJsonString()).ToArray();
            // Required or not is a row's matter: here each kind's description of the key, once.
            string description = string.Join(" ", group.Select(k => k.Description.TrimEnd('.') + ".").Distinct());
            properties[group.Key] = Documented(description, new JsonArray(examples), values.Length == 1 ? values[0] : AnyOf(values));
        }
        return properties;
    }

    private static JsonObject PlainRow()
    {
        return new JsonObject
        {
            ["description"] = "One layer row, e.g. { name: conv1, type: conv, kernel: 3, filters: 64, padding: 1, activation: relu, output: 224x224x64 }. The keys a row takes depend on its type.",
            ["type"] = "object",
            ["required"] = new JsonArray("type"),
            ["properties"] = CommonProperties(edit: false),
            ["allOf"] = KindBranches(edit: false),
        };
    }

    private static JsonObject EditRow()
    {
        var anyRowKey = ParserTables.CommonRowKeys.Concat(ParserTables.RowKeys.Values.SelectMany(k => k)).Concat(ParserTables.EditKeys).Distinct();
        var changeProperties = CommonProperties(edit: true);
        foreach (var (k, v) in AnyTypeProperties()) changeProperties[k] = v!.DeepClone();
        var branches = KindBranches(edit: true);
        branches.Add(new JsonObject
        {
            ["if"] = new JsonObject { ["not"] = new JsonObject { ["required"] = new JsonArray("type") } },
            ["then"] = new JsonObject { ["properties"] = changeProperties, ["propertyNames"] = Enum(anyRowKey) },
        });
        branches.Add(new JsonObject
        {
            ["if"] = new JsonObject { ["required"] = new JsonArray("remove") },
            ["then"] = new JsonObject { ["required"] = new JsonArray("name"), ["propertyNames"] = Enum(new[] { "name", "remove" }) },
        });
        branches.Add(new JsonObject
        {
            ["if"] = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("after") }, new JsonObject { ["required"] = new JsonArray("before") }) },
            ["then"] = new JsonObject { ["required"] = new JsonArray("type"), ["not"] = new JsonObject { ["required"] = new JsonArray("after", "before") } },
            ["else"] = new JsonObject { ["required"] = new JsonArray("name") },
        });
        return new JsonObject
        {
            ["description"] = "A row of a spec with base: { name: conv3_3, kernel: 3 } changes the base row conv3_3; with type it replaces it; { after: conv1_1, name: conv1_2, type: conv, ... } inserts a row (before: likewise); { name: drop6, remove: true } deletes one.",
            ["type"] = "object",
            ["properties"] = CommonProperties(edit: true),
            ["allOf"] = branches,
        };
    }

    public static JsonObject Build()
    {
        var properties = new JsonObject();
        var layersKey = SpecFormat.TopLevel.Single(k => k.Form == ValueForm.Layers);
        layersKey = layersKey with { Examples = new object[] { new[] { new Dictionary<string, object> { ["name"] = "conv1", ["type"] = "conv", ["kernel"] = 3, ["filters"] = 64, ["output"] = "32x32x64" } } } };
        foreach (var key in SpecFormat.TopLevel)
        {
            properties[key.Key] = key.Form switch
            {
                ValueForm.Defaults => Property(key with { Examples = new object[] { new Dictionary<string, object> { ["weight_init"] = "he" } } },
                    new JsonObject { ["type"] = new JsonArray("object", "null"), ["properties"] = AnyTypeProperties(), ["additionalProperties"] = false }),
                ValueForm.Layers => Property(layersKey, new JsonObject()),
                _ when key.Key == "base" => Property(key, new JsonObject { ["type"] = "string" }),
                _ => Property(key),
            };
        }
        return new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["$id"] = Id,
            ["title"] = "TorchSpecs layer-table spec (format v1)",
            ["description"] = "A model as the layer table papers document: one row per layer (docs/spec-format.md). Start a spec with '# yaml-language-server: $schema=<path to this file>' for completion and checks in the editor; the build checks everything this schema does and more (shapes, names, bases).",
            ["type"] = "object",
            ["required"] = new JsonArray("model"),
            ["properties"] = properties,
            ["additionalProperties"] = false,
            ["if"] = new JsonObject { ["required"] = new JsonArray("base") },
            ["then"] = new JsonObject { ["properties"] = new JsonObject { ["layers"] = Property(layersKey, new JsonObject { ["type"] = new JsonArray("array", "null"), ["items"] = EditRow() }) } },
            ["else"] = new JsonObject
            {
                ["required"] = new JsonArray("input", "layers"),
                ["properties"] = new JsonObject { ["layers"] = Property(layersKey, new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = PlainRow() }) },
            },
        };
    }

    public static string Text() => Build().ToJsonString(new JsonSerializerOptions
    {
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }) + "\n";
}
