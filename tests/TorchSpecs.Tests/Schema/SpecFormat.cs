using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSpecs.Generator.Kinds;
using TorchSpecs.Generator.Parsing;
using GenLayerKind = TorchSpecs.Generator.Model.LayerKind;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// The spec format's keys as the generator knows them: the layer kinds and their keys from the
/// kinds' definitions (<see cref="LayerDefinitions"/>, which the parser reads rows by), the
/// top-level and edit keys from the parser's own tables. The one place the schema tests learn
/// keys and layer types from.
/// </summary>
internal static class ParserTables
{
    private static T Field<T>(string name) where T : class =>
        typeof(SpecParser).GetField(name, BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as T
        ?? throw new InvalidOperationException($"SpecParser.{name} ({typeof(T).Name}) is gone: point ParserTables at the table that replaced it");

    /// <summary>Top-level keys of a spec.</summary>
    public static IReadOnlyList<string> TopLevelKeys => Field<string[]>("TopLevelKeys");

    /// <summary>The layer types as written in <c>type:</c>, each with its kind (the layer-kind definitions).</summary>
    public static IReadOnlyDictionary<string, GenLayerKind> LayerTypes =>
        LayerDefinitions.All.ToDictionary(d => d.TypeName, d => d.Kind);

    /// <summary>Keys every row takes (name, type, output, torch_name).</summary>
    public static IReadOnlyList<string> CommonRowKeys => Keys.Common.Select(k => k.Name).ToList();

    /// <summary>The keys each kind takes besides the common ones.</summary>
    public static IReadOnlyDictionary<GenLayerKind, string[]> RowKeys =>
        LayerDefinitions.All.ToDictionary(d => d.Kind, d => d.Keys.Select(k => k.Name).ToArray());

    /// <summary>The keys of a derived spec's rows that edit the base table (after, before, remove).</summary>
    public static IReadOnlyList<string> EditKeys => Field<string[]>("EditKeys");

    /// <summary>The values of the top-level <c>batchnorm:</c> rule.</summary>
    public static IReadOnlyList<string> BatchNormModes => Field<string[]>("BatchNormModes");

    public static IReadOnlyList<string> KeysOf(string type) => CommonRowKeys.Concat(RowKeys[LayerTypes[type]]).ToList();
}

/// <summary>The form of a top-level value, as the parser reads it (row keys have their <see cref="KeyDefinition"/>).</summary>
internal enum ValueForm
{
    /// <summary>HxWxC (input).</summary>
    MapShape,
    /// <summary>Free text (or nothing).</summary>
    Text,
    /// <summary>A C# class name.</summary>
    ModelName,
    /// <summary>Dotted C# identifiers.</summary>
    Namespace,
    /// <summary>after_conv or after_activation.</summary>
    BatchNormRule,
    /// <summary>A mapping of row keys (defaults).</summary>
    Defaults,
    /// <summary>The list of rows (layers).</summary>
    Layers,
}

/// <summary>One top-level key: its value form, whether it is required, and what it means.</summary>
internal sealed record KeySpec(string Key, ValueForm Form, bool Required, string Description, params object[] Examples);

/// <summary>
/// What the schema documents beyond the layer kinds: the top-level keys and a derived spec's edit
/// keys, which have no <see cref="KeyDefinition"/> (the parser reads them in SpecParser). Every
/// row key's form, range, default, description and example is its kind's definition
/// (<see cref="LayerDefinitions"/>); this class only turns a definition's example into JSON.
/// </summary>
internal static partial class SpecFormat
{
    /// <summary>Top-level keys, in the parser's order (<see cref="ParserTables.TopLevelKeys"/>).</summary>
    public static readonly KeySpec[] TopLevel =
    {
        new("model", ValueForm.ModelName, true, "The C# class name of the generated model: a PascalCase identifier, unique in the project.", "AlexNet", "Vgg16Bn"),
        new("description", ValueForm.Text, false, "Free text, carried into the generated XML docs and the summaries.", "AlexNet as built in Keras"),
        new("source", ValueForm.Text, false, "Where the table comes from, carried into the generated XML docs.", "Krizhevsky et al. 2012, table 1"),
        new("namespace", ValueForm.Namespace, false, "The C# namespace of the generated class; default: the project's TorchSpecsNamespace or root namespace.", "My.Models"),
        new("input", ValueForm.MapShape, true, "The input size as height x width x channels (HxWxC), as the papers' tables write it. A spec with base: inherits it.", "227x227x3", "28x28x1"),
        new("defaults", ValueForm.Defaults, false, "Row keys applied to every row whose type takes them and that does not set them.", "{ weight_init: he }"),
        new("layers", ValueForm.Layers, true, "The layer table: one row per layer, in order. In a spec with base:, only the rows that change, insert (after: or before:) or remove (remove: true) rows of the base's table.", "- { name: conv1, type: conv, kernel: 3, filters: 64, output: 32x32x64 }"),
        new("base", ValueForm.Text, false, "The model (of another spec of the project) whose expanded table this spec starts from; layers then lists only the changes.", "Vgg11"),
        new("batchnorm", ValueForm.BatchNormRule, false, "after_conv: a batch norm row after every conv row, the conv's activation moved onto it (torchvision's make_layers); after_activation: after the conv's activation (most Keras code).", "after_conv"),
    };

    public static readonly IReadOnlyDictionary<string, string> EditKeyDescriptions = new Dictionary<string, string>
    {
        ["after"] = "Inserts this row after the named row of the base's table.",
        ["before"] = "Inserts this row before the named row of the base's table.",
        ["remove"] = "true: deletes the named row of the base's table (the row then has only name and remove).",
    };

    /// <summary>A row key of one layer type: the common ones, then the type's own (its definition).</summary>
    public static KeyDefinition Key(string type, string key) =>
        LayerDefinitions.All.Single(d => d.TypeName == type).AllKeys.Single(k => k.Name == key);

    /// <summary>
    /// A value in the spec's notation (a definition's example or default, as YAML) as the JSON an
    /// editor's YAML engine reads it as (YAML 1.2 core schema); read by the spec reader's own YAML
    /// layer. Throws for text that is not one YAML value.
    /// </summary>
    public static JsonNode? Json(string yaml)
    {
        var problems = new List<YamlProblem>();
        var document = YamlTree.Read("v: " + yaml + "\n", problems);
        if (problems.Count > 0 || document is not YMapping { Entries: [{ Key.Value: "v" } entry] })
            throw new FormatException($"'{yaml}' is not one YAML value: {string.Join("; ", problems.Select(p => p.Message))}");
        return Json(entry.Value);
    }

    private static JsonNode? Json(YNode node) => node switch
    {
        YScalar { IsNull: true } => null,
        YScalar { IsPlain: true } s when s.Value is "true" or "True" or "TRUE" => JsonValue.Create(true),
        YScalar { IsPlain: true } s when s.Value is "false" or "False" or "FALSE" => JsonValue.Create(false),
        YScalar { IsPlain: true } s when CoreInt().IsMatch(s.Value) => JsonValue.Create(long.Parse(s.Value, CultureInfo.InvariantCulture)),
        YScalar { IsPlain: true } s when CoreFloat().IsMatch(s.Value) => JsonValue.Create(double.Parse(s.Value, CultureInfo.InvariantCulture)),
        YScalar s => JsonValue.Create(s.Value),
        YSequence seq => new JsonArray(seq.Items.Select(Json).ToArray()),
        YMapping map => new JsonObject(map.Entries.Select(e => KeyValuePair.Create(e.Key.Value, Json(e.Value)))),
        _ => throw new FormatException($"unexpected YAML node {node.Describe()}"),
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex CoreInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex CoreFloat();
}
