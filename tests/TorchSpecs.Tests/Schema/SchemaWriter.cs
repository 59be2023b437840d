using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis.CSharp;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// Writes schema/torchspecs.schema.json (JSON Schema draft-07) from <see cref="ParserTables"/> and
/// <see cref="SpecFormat"/>. The committed file must equal what this writes
/// (<see cref="SchemaFileTests"/>); <c>TORCHSPECS_WRITE_SCHEMA=1 dotnet test --filter SchemaFileTests</c> rewrites it.
/// No <c>$ref</c>: draft-07 ignores a description beside one, and editors show the inline text.
/// </summary>
internal static class SchemaWriter
{
    public const string RelativePath = "schema/torchspecs.schema.json";
    public const string Id = "https://github.com/torchspecs/torchspecs/blob/main/schema/torchspecs.schema.json";

    private const string Dim = @"\s*0*[1-9][0-9]*\s*";
    private const string Num = @"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?";
    private const string PositiveNum = @"\+?(?=[0-9.]*[1-9])([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?";

    private static JsonObject PositiveInt() => new() { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = int.MaxValue };
    private static JsonObject NonNegativeInt() => new() { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = int.MaxValue };
    private static JsonObject Array(JsonObject items, int min, int max) => new() { ["type"] = "array", ["items"] = items, ["minItems"] = min, ["maxItems"] = max };
    private static JsonObject AnyOf(params JsonObject[] options) => new() { ["anyOf"] = new JsonArray(options) };
    private static JsonObject Enum(IEnumerable<string> values) => new() { ["enum"] = new JsonArray(values.Select(v => (JsonNode)v!).ToArray()) };
    private static JsonObject Pattern(string pattern, params string[] types) =>
        new() { ["type"] = types.Length == 1 ? types[0] : new JsonArray(types.Select(t => (JsonNode)t!).ToArray()), ["pattern"] = pattern };

    private static JsonObject PaddingList()
    {
        var list = Array(NonNegativeInt(), 1, 4);
        list["not"] = new JsonObject { ["minItems"] = 3, ["maxItems"] = 3 };
        return list;
    }

    /// <summary>The schema of one value form; mirrors SpecParser's value readers.</summary>
    public static JsonObject Value(ValueForm form) => form switch
    {
        ValueForm.Name => Pattern(@"^[_ .\-]*[A-Za-z][A-Za-z0-9_ .\-]*$", "string"),
        ValueForm.LayerType => Enum(ParserTables.LayerTypes.Keys),
        ValueForm.Output => AnyOf(Pattern($"^{Dim}x{Dim}x{Dim}$", "string"), PositiveInt()),
        ValueForm.MapShape => Pattern($"^{Dim}x{Dim}x{Dim}$", "string"),
        ValueForm.TorchName => Pattern(@"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$", "string"),
        ValueForm.Pair => AnyOf(PositiveInt(), Array(PositiveInt(), 2, 2)),
        ValueForm.Size => AnyOf(Pattern($"^{Dim}x{Dim}$", "string"), PositiveInt(), Array(PositiveInt(), 2, 2)),
        ValueForm.PositiveInt => PositiveInt(),
        ValueForm.NonNegativeInt => NonNegativeInt(),
        ValueForm.Padding => AnyOf(NonNegativeInt(), PaddingList(), Enum(new[] { "same", "valid" })),
        ValueForm.ExplicitPadding => AnyOf(NonNegativeInt(), PaddingList()),
        ValueForm.Activation => Enum(new[] { "relu", "tanh", "sigmoid", "softmax", "none", "linear" }),
        ValueForm.WeightInit => AnyOf(Enum(new[] { "default", "he", "glorot", "zeros" }),
            Pattern($@"^ *(normal|truncated_normal) *\( *{Num} *, *{PositiveNum} *\) *$", "string")),
        ValueForm.Number => new JsonObject { ["type"] = "number" },
        ValueForm.PositiveNumber => new JsonObject { ["type"] = "number", ["exclusiveMinimum"] = 0 },
        ValueForm.Rate => new JsonObject { ["type"] = "number", ["minimum"] = 0, ["exclusiveMaximum"] = 1 },
        ValueForm.Fraction => new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 },
        ValueForm.Boolean => new JsonObject { ["type"] = "boolean" },
        ValueForm.Text => new JsonObject { ["type"] = new JsonArray("string", "null") },
        ValueForm.ModelName => ModelName(),
        ValueForm.Namespace => Pattern(NamespacePattern(), "string", "null"),
        ValueForm.BatchNormRule => Enum(ParserTables.BatchNormModes),
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "a form without a fixed schema"),
    };

    /// <summary>A C# identifier that is no keyword (Roslyn's list) and not the catalog's class name.</summary>
    private static JsonObject ModelName()
    {
        var reserved = SyntaxFacts.GetKeywordKinds().Concat(SyntaxFacts.GetContextualKeywordKinds())
            .Select(SyntaxFacts.GetText).Where(t => t.Length > 0 && char.IsLetter(t[0]))
            .Append("ModelCatalog").Distinct().Order(StringComparer.Ordinal);
        var schema = Pattern("^[A-Za-z_][A-Za-z0-9_]*$", "string");
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

    /// <summary>A key's schema: its value's, with its description and examples.</summary>
    private static JsonObject Property(KeySpec key, JsonObject? value = null)
    {
        var property = new JsonObject { ["description"] = key.Description, ["examples"] = Examples(key) };
        foreach (var (k, v) in value ?? Value(key.Form)) property[k] = v?.DeepClone();
        return property;
    }

    private static IEnumerable<KeySpec> Common => new[] { SpecFormat.NameKey, SpecFormat.TypeKey, SpecFormat.OutputKey, SpecFormat.TorchNameKey };

    private static JsonObject TypeProperty()
    {
        var property = Property(SpecFormat.TypeKey);
        property["enumDescriptions"] = new JsonArray(ParserTables.LayerTypes.Keys.Select(t => (JsonNode)SpecFormat.Types[t].Description!).ToArray());
        return property;
    }

    private static JsonObject CommonProperties(bool edit)
    {
        var properties = new JsonObject();
        foreach (var key in Common) properties[key.Key] = key.Key == "type" ? TypeProperty() : Property(key);
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

    /// <summary>What a row of one type takes: exactly the common keys and its own, its required ones present.</summary>
    private static JsonObject Kind(string type, bool edit)
    {
        var (description, keys) = SpecFormat.Types[type];
        var properties = CommonProperties(edit);
        foreach (var key in keys) properties[key.Key] = Property(key);
        var schema = new JsonObject { ["description"] = description, ["properties"] = properties, ["additionalProperties"] = false };
        var required = keys.Where(k => k.Required).Select(k => (JsonNode)k.Key!).ToArray();
        if (required.Length > 0) schema["required"] = new JsonArray(required);
        if (type == "lrn")
            schema["oneOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray("size") }, new JsonObject { ["required"] = new JsonArray("depth_radius") });
        return schema;
    }

    private static JsonArray KindBranches(bool edit) => new(ParserTables.LayerTypes.Keys.Select(type => (JsonNode)new JsonObject
    {
        ["if"] = new JsonObject { ["properties"] = new JsonObject { ["type"] = new JsonObject { ["const"] = type } }, ["required"] = new JsonArray("type") },
        ["then"] = Kind(type, edit),
    }).ToArray());

    /// <summary>
    /// Every non-common row key with the value forms it has in any type (size is HxW for resize,
    /// a count for lrn): for defaults, and for a derived spec's row that changes a base row.
    /// </summary>
    private static JsonObject AnyTypeProperties()
    {
        var properties = new JsonObject();
        var keys = ParserTables.LayerTypes.Keys.SelectMany(t => SpecFormat.Types[t].Keys).GroupBy(k => k.Key);
        foreach (var group in keys)
        {
            var forms = group.Select(k => k.Form).Distinct().ToList();
            var first = group.First();
            var value = forms.Count == 1 ? Value(forms[0]) : AnyOf(forms.Select(Value).ToArray());
            string description = string.Join(" ", group.Select(k => k.Description).Distinct());
            properties[group.Key] = Property(first with { Description = description }, value);
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
