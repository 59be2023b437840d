using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// The result of reading one spec file: the spec as far as it could be read, and what was wrong.
/// With errors the spec is still given (rows with errors marked incomplete) so that the rest of
/// the table is checked, but it never becomes a model.
/// </summary>
internal sealed record ParsedSpec(string FilePath, NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Reads one YAML spec (format v1, docs/spec-format.md) into a <see cref="NetworkSpec"/>.
/// Never throws: every problem becomes a diagnostic at the key or value it is about, and the
/// rest of the file is still read where it can be.
/// </summary>
internal sealed partial class SpecParser
{
    private static readonly string[] TopLevelKeys = Keys.Spec.Select(k => k.Name).ToArray();

    private static readonly string[] CommonRowKeys = Keys.Common.Select(k => k.Name).ToArray();

    private static string[] AllRowKeys => LayerDefinitions.AllRowKeys;

    /// <summary>Names the generated class already uses; a layer property may not take them.</summary>
    private static readonly HashSet<string> ReservedMembers = new(StringComparer.Ordinal)
    {
        "Info", "Predict", "ResetParameters", "LoadWeights", "Dispose", "GetType", "ToString", "Equals", "GetHashCode",
        // TorchSharp's Module<Tensor, Tensor> (0.107): a property would hide them (CS0108, an error with warnings as errors).
        "BoxedModule", "ClearModules", "ConditionallyRegisterBuffer", "ConditionallyRegisterParameter", "Create", "Finalize",
        "GetDefaultDeviceAndType", "GetName", "MemberwiseClone", "ReferenceEquals", "RegisterComponents", "ReplaceBuffer", "ReplaceParameter",
    };

    private readonly string _path;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly HashSet<DiagnosticInfo> _reported = new();
    /// <summary>The row each torch_name was first given to.</summary>
    private readonly Dictionary<string, int> _torchNames = new(StringComparer.Ordinal);
    /// <summary>Errors reported so far, repeats included: a row with any is incomplete.</summary>
    private int _errorCount;
    private string? _modelName;
    /// <summary>
    /// True when <paramref name="key"/> is missing only because it was misspelt (and that was
    /// reported): the "missing key" it causes is not reported again, but the row stays unusable.
    /// </summary>
    internal static bool Misspelt(KeyValues values, string key)
    {
        if (!values.Suggested.Contains(key)) return false;
        values.SilentErrors++;
        return true;
    }

    private TextMark _textEnd = new(int.MaxValue, int.MaxValue, int.MaxValue);

    private SpecParser(string path) => _path = path;

    /// <summary>Reads a spec on its own: a family chain of one (<see cref="ParseFamily"/>), so every spec is read the same way.</summary>
    public static ParsedSpec Parse(string path, string? text) =>
        ParseFamily(new[] { new SpecSource(path, text ?? "", null, null, null, false) });

    /// <summary>
    /// Reads one file's text to its top mapping, reporting what keeps it from being a spec
    /// (binary, YAML errors, empty, not a mapping); <paramref name="mark"/> sees the tree first.
    /// </summary>
    private YMapping? ReadTop(string text, string path, Action<YNode>? mark = null)
    {
        if (text.IndexOf('\0') >= 0 || LooksBinary(text))
        {
            Report(DiagnosticDescriptors.EmptySpec, LocationInfo.FileStart(path), "The file is not a YAML text file; a spec is a YAML mapping with model, input and layers");
            return null;
        }

        var problems = new List<YamlProblem>();
        YNode? root = YamlTree.Read(text, problems);
        if (root is not null) mark?.Invoke(root);
        foreach (var problem in problems)
        {
            var at = Loc(problem.Start, problem.End, path);
            switch (problem.Kind)
            {
                case "duplicate": Report(DiagnosticDescriptors.DuplicateKey, at, problem.Message, "mapping"); break;
                case "alias": case "tag": Report(DiagnosticDescriptors.UnsupportedYaml, at, problem.Message); break;
                case "size": Report(DiagnosticDescriptors.SpecTooLarge, at, "The spec is too large: " + problem.Message); break;
                case "unquoted": Report(DiagnosticDescriptors.WrongValueType, at, problem.Args!); break;
                default: Report(DiagnosticDescriptors.YamlSyntax, at, problem.Message); break;
            }
        }
        if (problems.Any(p => p.Kind is "syntax" or "depth" or "tab" or "size")) return null;

        if (root is null || root is YScalar { IsNull: true })
        {
            Report(DiagnosticDescriptors.EmptySpec, LocationInfo.FileStart(path), "The spec file is empty; a spec is a YAML mapping with model, input and layers");
            return null;
        }
        if (root is not YMapping top)
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(root), "the spec", "a mapping with model, input and layers", root.Describe());
            return null;
        }
        return top;
    }

    private string? ReadModelName(YMapping top, KeyValues values)
    {
        if (!values.TryGetValue("model", out var node))
        {
            if (!values.Suggested.Contains("model")) Report(DiagnosticDescriptors.MissingKey, Loc(top.Start, top.Start), "The spec", "model", "the C# class name of the model, e.g. model: AlexNet");
            return null;
        }
        string? name = RequireString(node, "model");
        if (name is null) return null;
        string? problem = SpecLimits.NameLengthProblem(name) ?? IdentifierProblem(name)
            ?? SpecLimits.LowerCaseTypeNameProblem(name)
            ?? (name == "ModelCatalog" ? "the generated catalog class already has that name; choose another name" : null);
        if (problem is not null)
        {
            Report(DiagnosticDescriptors.InvalidName, Loc(node), "Model name", name, problem);
            return null;
        }
        _modelName = name;
        return name;
    }

    private void ReadLayers(YSequence rows, IReadOnlyDictionary<string, YNode> defaults, List<LayerSpec> layers)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var properties = new Dictionary<string, int>(StringComparer.Ordinal);
        var typeCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (rows.Items.Count > SpecLimits.MaxRows)
        {
            // Not read at all: a table this long is generated text gone wrong, and reading it would
            // give one diagnostic per row.
            var first = rows.Items[SpecLimits.MaxRows];
            Report(DiagnosticDescriptors.SpecTooLarge, Loc(first.Start, first.Start, PathOf(first)),
                $"The table has {SpecLimits.Count(rows.Items.Count)} rows; a spec may have at most {SpecLimits.Count(SpecLimits.MaxRows)} (row {SpecLimits.Count(SpecLimits.MaxRows + 1)} starts here)");
            return;
        }

        for (int i = 0; i < rows.Items.Count; i++)
        {
            YNode rowNode = rows.Items[i];
            if (rowNode is not YMapping row)
            {
                Report(DiagnosticDescriptors.WrongValueType, Loc(rowNode), $"layers[{i}]", "a mapping such as { name: conv1, type: conv, ... }", rowNode.Describe());
                layers.Add(Unreadable(rowNode, i, null));
                continue;
            }
            var layer = ReadLayer(row, i, defaults, typeCounts);
            if (layer is null)
            {
                // Keep the row's place: the rows after it continue from its documented output.
                layers.Add(Unreadable(row, i, row.Entries.FirstOrDefault(e => e.Key.Value == "output").Value));
                continue;
            }

            if (names.TryGetValue(layer.Name, out int previous))
            {
                Report(DiagnosticDescriptors.DuplicateLayerName, layer.Location, layer.Name, previous + 1);
                layer = layer with { IsComplete = false };
            }
            else if (layer.PropertyName == _modelName)
            {
                Report(DiagnosticDescriptors.InvalidName, layer.Location, "Layer name", layer.Name,
                    $"its property name {layer.PropertyName} is the model's class name, and a C# member cannot have the name of its class; rename the layer or the model");
                layer = layer with { IsComplete = false };
            }
            else if (properties.TryGetValue(layer.PropertyName, out int clash))
            {
                Report(DiagnosticDescriptors.InvalidName, layer.Location, "Layer name", layer.Name,
                    $"its property name {layer.PropertyName} is also the property of row {clash + 1}; rename one of them");
                layer = layer with { IsComplete = false };
            }
            else
            {
                names[layer.Name] = i;
                properties[layer.PropertyName] = i;
            }
            layers.Add(layer);
        }
    }

    /// <summary>A row that could not be read: incomplete, with its documented output when that is readable.</summary>
    private LayerSpec Unreadable(YNode row, int index, YNode? output)
    {
        Shape? shape = null;
        if (output is YScalar { IsPlain: true, IsNull: false } s && !IgnoresDocumentedOutput(s))
        {
            // Read quietly: the row already has its error, and a bad output only stops inference.
            int count = _diagnostics.Count;
            shape = ReadShape(s, "output", mustBeMap: false);
            foreach (var quiet in _diagnostics.Skip(count)) _reported.Remove(quiet);
            _diagnostics.RemoveRange(count, _diagnostics.Count - count);
        }
        return new UnreadableSpec
        {
            Index = index, Name = $"row{index + 1}", PropertyName = $"Row{index + 1}",
            Location = Loc(row.Start, row.Start, PathOf(row)), Output = shape, IsComplete = false,
        };
    }

    private LayerSpec? ReadLayer(YMapping row, int index, IReadOnlyDictionary<string, YNode> defaults, Dictionary<string, int> typeCounts)
    {
        var rowLocation = Loc(row.Start, row.Start, PathOf(row));
        // The type decides which keys are known, so read it before judging the other keys.
        var typeEntry = row.Entries.FirstOrDefault(e => e.Key.Value == "type");
        if (typeEntry.Key is null)
        {
            var typo = row.Entries.FirstOrDefault(e => Closest(e.Key.Value, new[] { "type" }) is not null).Key;
            if (typo is not null)
                Report(DiagnosticDescriptors.UnknownKey, Loc(typo), typo.Value, $"row {index + 1}", " (did you mean 'type'?)");
            else
                Report(DiagnosticDescriptors.MissingKey, rowLocation, $"Row {index + 1}", "type", $"one of {string.Join(", ", LayerDefinitions.TypeNames)}");
            return null;
        }
        string? typeName = RequireString(typeEntry.Value, "type");
        if (typeName is null) return null;
        if (!LayerDefinitions.TryGet(typeName, out var definition))
        {
            string hint = LayerDefinitions.ForeignName(typeName) is { } meant
                ? (meant.Kind == LayerKind.Activation && Keys.ActivationNames.Contains(typeName.ToLowerInvariant())
                    ? $" (did you mean type: activation, activation: {typeName.ToLowerInvariant()}?)"
                    : $" (did you mean '{meant.TypeName}'? '{typeName}' is another framework's name for it)")
                : DidYouMean(typeName, LayerDefinitions.TypeNames);
            Report(DiagnosticDescriptors.UnknownLayerType, Loc(typeEntry.Value), typeName, hint, string.Join(", ", LayerDefinitions.TypeNames));
            return null;
        }

        var allowed = CommonRowKeys.Concat(definition.Keys.Select(k => k.Name)).ToArray();
        var values = ReadKeys(row, allowed, $"a {typeName} row", otherwiseKnown: AllRowKeys);
        foreach (var d in defaults)
            if (!values.ContainsKey(d.Key) && definition.Takes(d.Key))
                values[d.Key] = d.Value;

        typeCounts.TryGetValue(typeName, out int count);
        typeCounts[typeName] = ++count;

        string name = definition.NamePrefix + count.ToString(CultureInfo.InvariantCulture);
        var complete = true;
        LocationInfo location = rowLocation;
        if (values.TryGetValue("name", out var nameNode))
        {
            location = Loc(nameNode);
            string? written = RequireString(nameNode, "name");
            if (written is null) complete = false;
            else
            {
                string? problem = SpecLimits.LayerNameProblem(written) ?? IdentifierProblem(ToPropertyName(written), isLayer: true);
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.InvalidName, Loc(nameNode), "Layer name", written, problem);
                    complete = false;
                }
                name = written;
            }
        }

        int before = _errorCount;
        var spec = definition.Read(new RowReader(this, values, name, rowLocation)) with
        {
            Index = index, Name = name, PropertyName = ToPropertyName(name), Location = location,
        };

        if (values.TryGetValue("torch_name", out var torchNameNode))
        {
            string? torchName = ReadTorchName(torchNameNode);
            if (torchName is not null && _torchNames.TryGetValue(torchName, out int first))
                Report(DiagnosticDescriptors.InvalidValue, Loc(torchNameNode), "torch_name", torchName,
                    $"a module path no other row has (row {first + 1} has it: two rows cannot load the same PyTorch tensors)");
            else if (torchName is not null)
                _torchNames[torchName] = index;
            spec = spec with { TorchName = torchName };
        }
        if (values.TryGetValue("output", out var outputNode))
        {
            var output = ReadShape(outputNode, "output", mustBeMap: false);
            if (!IgnoresDocumentedOutput(outputNode)) spec = spec with { Output = output, OutputLocation = Loc(outputNode) };
        }
        spec = spec with { InheritedFrom = InheritedFrom(row) };

        bool hadErrors = _errorCount > before || values.SilentErrors > 0;
        return spec with { IsComplete = complete && !hadErrors };
    }

    // ---- keys -------------------------------------------------------------------------

    /// <summary>
    /// The keys of a mapping that <paramref name="allowed"/> lists; every other key is reported
    /// (with the key it probably meant, which then comes back in <see cref="KeyValues.Suggested"/>).
    /// </summary>
    private KeyValues ReadKeys(YMapping map, string[] allowed, string where, string[]? otherwiseKnown = null)
    {
        var values = new KeyValues();
        foreach (var entry in map.Entries)
        {
            string key = entry.Key.Value;
            if (allowed.Contains(key))
            {
                values[key] = entry.Value;
                continue;
            }
            string? closest = otherwiseKnown is not null && otherwiseKnown.Contains(key) ? null : Closest(key, allowed);
            // A misspelt required key is one mistake: the "missing key" it causes is not reported again.
            if (closest is not null && !map.Entries.Any(e => e.Key.Value == closest)) values.Suggested.Add(closest);
            string hint = otherwiseKnown is not null && otherwiseKnown.Contains(key)
                ? $"; '{key}' is not a key of this layer type (it takes {string.Join(", ", allowed)})"
                : closest is not null ? $" (did you mean '{closest}'?)" : $"; the keys are {string.Join(", ", allowed)}";
            Report(DiagnosticDescriptors.UnknownKey, Loc(entry.Key), key, where, hint);
        }
        return values;
    }

    internal static string DidYouMean(string word, IEnumerable<string> candidates)
        => Closest(word, candidates) is { } best ? $" (did you mean '{best}'?)" : "";

    /// <summary>The candidate a misspelt word most likely meant, if one is close enough.</summary>
    internal static string? Closest(string word, IEnumerable<string> candidates)
    {
        if (word.Length > 64) return null;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int d = Shared.EditDistance.Between(word.ToLowerInvariant(), candidate);
            if (d < bestDistance) { best = candidate; bestDistance = d; }
        }
        if (best is not null && bestDistance <= Math.Max(2, word.Length / 3)) return best;
        // convolution → conv, dense_layer → dense: a candidate the word starts with.
        string lower = word.ToLowerInvariant();
        return candidates.Where(c => c.Length >= 3 && lower.StartsWith(c, StringComparison.Ordinal)).OrderByDescending(c => c.Length).FirstOrDefault();
    }

    // ---- values -----------------------------------------------------------------------

    private string? RequireString(YNode node, string key)
    {
        if (node is YScalar { IsNull: false } s) return s.Value;
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), key, "a text value", node.Describe());
        return null;
    }

    private string? OptionalString(IReadOnlyDictionary<string, YNode> values, string key)
    {
        if (!values.TryGetValue(key, out var node) || node is YScalar { IsNull: true }) return null;
        string? text = RequireString(node, key);
        if (text is not null && key is "description" or "source" && SpecLimits.TextLengthProblem(key, text) is { } tooLong)
        {
            Report(DiagnosticDescriptors.SpecTooLarge, Loc(node), "The spec is too large: " + tooLong);
            return null;
        }
        return text;
    }

    internal long? Integer(YNode node, string key)
    {
        if (node is YScalar { IsPlain: true } s && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            if (value > int.MaxValue || value < int.MinValue)
            {
                Report(DiagnosticDescriptors.InvalidValue, Loc(node), key, s.Value, $"at most {int.MaxValue}");
                return null;
            }
            return value;
        }
        if (node is YScalar { IsPlain: true } big && big.Value.Length > 0 && big.Value.TrimStart('-', '+').All(char.IsDigit))
        {
            Report(DiagnosticDescriptors.InvalidValue, Loc(node), key, big.Value, $"at most {int.MaxValue}");
            return null;
        }
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), key, "a whole number", node.Describe());
        return null;
    }

    private int? Positive(YNode node, string key)
    {
        long? value = Integer(node, key);
        if (value is null) return null;
        if (value <= 0)
        {
            Report(DiagnosticDescriptors.InvalidValue, Loc(node), key, value.Value, "a positive whole number");
            return null;
        }
        return (int)value.Value;
    }

    internal double? Double(YNode node, string key)
    {
        if (node is YScalar { IsPlain: true } s &&
            double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) &&
            !double.IsNaN(value) && !double.IsInfinity(value))
        {
            if (SpecLimits.Float32Problem(value) is not { } problem) return value;
            Report(DiagnosticDescriptors.InvalidValue, Loc(node), key, s.Value, problem);
            return null;
        }
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), key, "a number", node.Describe());
        return null;
    }

    internal bool? OptionalBool(Dictionary<string, YNode> values, string key)
    {
        if (!values.TryGetValue(key, out var node)) return null;
        if (node is YScalar { IsPlain: true } s)
        {
            if (s.Value is "true" or "True" or "TRUE") return true;
            if (s.Value is "false" or "False" or "FALSE") return false;
        }
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), key, "true or false", node.Describe());
        return null;
    }

    /// <summary>k or [kh, kw].</summary>
    internal Pair? PairValue(YNode node, string key)
    {
        if (node is YSequence seq)
        {
            if (seq.Items.Count != 2)
            {
                Report(DiagnosticDescriptors.WrongValueType, Loc(node), key, "a number or a list of two [height, width]", node.Describe());
                return null;
            }
            int? h = Positive(seq.Items[0], key), w = Positive(seq.Items[1], key);
            return h is null || w is null ? null : new Pair(h.Value, w.Value);
        }
        int? k = Positive(node, key);
        return k is null ? null : new Pair(k.Value, k.Value);
    }

    /// <summary>Target size of resize/adaptive pooling: HxW, n, or [h, w].</summary>
    private Pair? SizeValue(YNode node, string key)
    {
        if (node is YScalar { IsPlain: true } s && s.Value.Contains("x"))
        {
            var shape = ReadShapeText(s, key, 2);
            return shape is null ? null : new Pair((int)shape[0], (int)shape[1]);
        }
        return PairValue(node, key);
    }

    internal PaddingSpec? OptionalPadding(Dictionary<string, YNode> values)
    {
        if (!values.TryGetValue("padding", out var node)) return null;
        if (node is YScalar s && !s.IsNull && !s.Value.All(c => char.IsDigit(c) || c == '-' || c == '+'))
        {
            switch (s.Value)
            {
                case "same": return new PaddingSpec(PaddingMode.Same, 0, 0, 0, 0);
                case "valid": return new PaddingSpec(PaddingMode.Valid, 0, 0, 0, 0);
                default:
                    Report(DiagnosticDescriptors.WrongValueType, Loc(node), "padding",
                        $"a number, [ph, pw], [top, bottom, left, right], same or valid{DidYouMean(s.Value, new[] { "same", "valid" })}", node.Describe());
                    return null;
            }
        }
        var items = node is YSequence seq ? seq.Items : new[] { node };
        if (items.Count is not (1 or 2 or 4))
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(node), "padding", "a number, [ph, pw] or [top, bottom, left, right]", node.Describe());
            return null;
        }
        var numbers = new int[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            long? v = Integer(items[i], "padding");
            if (v is null) return null;
            if (v < 0)
            {
                Report(DiagnosticDescriptors.InvalidValue, Loc(items[i]), "padding", v.Value, "zero or more");
                return null;
            }
            numbers[i] = (int)v.Value;
        }
        return items.Count switch
        {
            1 => new PaddingSpec(PaddingMode.Explicit, numbers[0], numbers[0], numbers[0], numbers[0]),
            2 => new PaddingSpec(PaddingMode.Explicit, numbers[0], numbers[0], numbers[1], numbers[1]),
            _ => new PaddingSpec(PaddingMode.Explicit, numbers[0], numbers[1], numbers[2], numbers[3]),
        };
    }

    internal ActivationKind OptionalActivation(Dictionary<string, YNode> values)
    {
        if (!values.TryGetValue("activation", out var node)) return ActivationKind.None;
        if (node is YScalar { IsNull: false } s)
        {
            switch (s.Value)
            {
                case "relu": return ActivationKind.Relu;
                case "tanh": return ActivationKind.Tanh;
                case "sigmoid": return ActivationKind.Sigmoid;
                case "softmax": return ActivationKind.Softmax;
                case "none": case "linear": return ActivationKind.None;
            }
        }
        var names = new[] { "relu", "tanh", "sigmoid", "softmax", "none" };
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), "activation",
            $"one of {string.Join(", ", names)}{(node is YScalar sc ? DidYouMean(sc.Value, names) : "")}", node.Describe());
        return ActivationKind.None;
    }

    internal InitSpec OptionalInit(Dictionary<string, YNode> values)
    {
        if (!values.TryGetValue("weight_init", out var node)) return InitSpec.Default;
        const string expected = "normal(mean, std), truncated_normal(mean, std), he, glorot, zeros or default";
        if (node is YScalar { IsNull: false } s)
        {
            string text = s.Value.Replace(" ", "");
            switch (text)
            {
                case "default": return InitSpec.Default;
                case "he": return new InitSpec(InitKind.He, 0, 0);
                case "glorot": return new InitSpec(InitKind.Glorot, 0, 0);
                case "zeros": return new InitSpec(InitKind.Zeros, 0, 0);
            }
            int open = text.IndexOf('(');
            if (open > 0 && text.EndsWith(")", StringComparison.Ordinal))
            {
                string fn = text.Substring(0, open);
                var args = text.Substring(open + 1, text.Length - open - 2).Split(',');
                if ((fn == "normal" || fn == "truncated_normal") && args.Length == 2 &&
                    double.TryParse(args[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double mean) &&
                    double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double std))
                {
                    if (std <= 0 || double.IsInfinity(std) || double.IsNaN(mean) || double.IsInfinity(mean))
                    {
                        Report(DiagnosticDescriptors.InvalidValue, Loc(node), "weight_init", s.Value, "a finite mean and a positive std");
                        return InitSpec.Default;
                    }
                    if (SpecLimits.InitArgumentsProblem(mean, std, fn == "truncated_normal") is { } range)
                    {
                        Report(DiagnosticDescriptors.InvalidValue, Loc(node), "weight_init", s.Value, range);
                        return InitSpec.Default;
                    }
                    return new InitSpec(fn == "normal" ? InitKind.Normal : InitKind.TruncatedNormal, mean, std);
                }
            }
        }
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), "weight_init", expected, node.Describe());
        return InitSpec.Default;
    }

    /// <summary>HxWxC (or N when flat is allowed), as text or a plain number.</summary>
    private Shape? ReadShape(YNode node, string key, bool mustBeMap)
    {
        if (node is YScalar { IsPlain: true } s && !s.IsNull)
        {
            if (!s.Value.Contains("x"))
            {
                if (!mustBeMap)
                {
                    long? n = Integer(node, key);
                    if (n is null) return null;
                    if (n <= 0) { Report(DiagnosticDescriptors.InvalidValue, Loc(node), key, n.Value, "a positive size"); return null; }
                    return Shape.Flat(n.Value);
                }
            }
            else
            {
                var dims = ReadShapeText(s, key, 3);
                if (dims is not null && key == "input" && SpecLimits.ChannelsFirstProblem(dims[0], dims[1], dims[2]) is { } channelsFirst)
                    Report(DiagnosticDescriptors.SuspiciousValue, Loc(s), channelsFirst);
                return dims is null ? null : Shape.Map(dims[0], dims[1], dims[2]);
            }
        }
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), key,
            mustBeMap ? "a size HxWxC such as 227x227x3" : "a size HxWxC such as 55x55x96, or N after flatten", node.Describe());
        return null;
    }

    private long[]? ReadShapeText(YScalar s, string key, int parts)
    {
        var pieces = s.Value.Split('x');
        string form = parts == 3 ? "HxWxC, such as 227x227x3" : "HxW, such as 6x6";
        if (pieces.Length != parts)
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(s), key, $"a size {form}", s.Describe());
            return null;
        }
        var dims = new long[parts];
        for (int i = 0; i < parts; i++)
        {
            if (!long.TryParse(pieces[i].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
            {
                Report(DiagnosticDescriptors.WrongValueType, Loc(s), key, $"a size {form}", s.Describe());
                return null;
            }
            if (dims[i] <= 0 || dims[i] > int.MaxValue)
            {
                Report(DiagnosticDescriptors.InvalidValue, Loc(s), key, s.Value, $"positive sizes of at most {int.MaxValue}");
                return null;
            }
        }
        if (parts == 3 && (double)dims[0] * dims[1] * dims[2] > int.MaxValue)
        {
            Report(DiagnosticDescriptors.InvalidValue, Loc(s), key, s.Value, $"a size of at most {int.MaxValue} values in all (H * W * C)");
            return null;
        }
        return dims;
    }

    internal void ReportMissing(KeyValues values, string what, string key, string help)
    {
        if (Misspelt(values, key)) return;
        var at = values.TryGetValue("type", out var typeNode) ? Loc(typeNode) : LocationInfo.FileStart(_path);
        Report(DiagnosticDescriptors.MissingKey, at, what, key, help);
    }

    // ---- names ------------------------------------------------------------------------

    /// <summary>conv1 → Conv1, block1_conv2 → Block1Conv2, Conv_3_1 → Conv3_1.</summary>
    internal static string ToPropertyName(string name)
    {
        var sb = new StringBuilder();
        foreach (var part in name.Split(new[] { '_', '-', ' ', '.' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (sb.Length > 0 && char.IsDigit(part[0]) && char.IsDigit(sb[sb.Length - 1])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        }
        return sb.ToString();
    }

    private static string? IdentifierProblem(string identifier, bool isLayer = false)
    {
        if (identifier.Length == 0) return "it has no letters; use a name such as conv1";
        if (SpecLimits.NameLengthProblem(identifier) is { } tooLong) return tooLong;
        if (!SyntaxFacts.IsValidIdentifier(identifier))
            return isLayer
                ? $"its property name '{identifier}' is not a C# identifier; use letters, digits and underscores, starting with a letter"
                : "it is not a C# identifier; use letters, digits and underscores, starting with a letter";
        if (SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(identifier) != SyntaxKind.None)
            return "it is a C# keyword; choose another name";
        if (isLayer && ReservedMembers.Contains(identifier))
            return $"its property name {identifier} is a member every generated model already has";
        return null;
    }

    private static bool IsValidNamespace(string ns) =>
        ns.Length <= SpecLimits.MaxNameLength && ns.Split('.').All(p => SyntaxFacts.IsValidIdentifier(p) && SyntaxFacts.GetKeywordKind(p) == SyntaxKind.None);

    private static bool LooksBinary(string text)
    {
        int control = 0;
        int n = Math.Min(text.Length, 4096);
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            if (c == '\uFFFD' || (c < 32 && c != '\n' && c != '\r' && c != '\t')) control++;
        }
        return n > 0 && control * 10 > n;
    }

    // ---- reporting --------------------------------------------------------------------

    internal static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal LocationInfo Loc(YNode node) => Loc(node.Start, node.End, PathOf(node));

    private LocationInfo Loc(TextMark start, TextMark end, string? path = null)
    {
        // Marks of a base file (families) are that file's: only this file's are clamped to its end.
        if (path is null || path == _path)
        {
            start = Clamp(start);
            end = Clamp(end);
        }
        if (end.Index < start.Index) end = start;
        return new(path ?? _path, start.Index, end.Index - start.Index, start.Line, start.Column, end.Line, end.Column);
    }

    /// <summary>The YAML parser's end-of-stream mark can lie past the text: such marks become its end.</summary>
    private TextMark Clamp(TextMark mark) =>
        mark.Line > _textEnd.Line || (mark.Line == _textEnd.Line && mark.Column > _textEnd.Column) || mark.Index > _textEnd.Index ? _textEnd : mark;

    private static TextMark EndOf(string text) => YamlPrescan.EndOf(text);

    /// <summary>
    /// Reports a diagnostic once: the same message at the same place (a bad <c>defaults:</c> value
    /// that reaches every row) is one diagnostic. Every error still counts for the row it was read for.
    /// </summary>
    internal void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo location, params object[] args)
    {
        var diagnostic = DiagnosticInfo.Create(descriptor, location, args);
        if (descriptor.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error) _errorCount++;
        if (_reported.Add(diagnostic)) _diagnostics.Add(diagnostic);
    }
}

/// <summary>The keys read from one mapping, and the keys its misspelt keys probably meant (values, not parser state).</summary>
internal sealed class KeyValues : Dictionary<string, YNode>
{
    public KeyValues() : base(StringComparer.Ordinal) { }

    /// <summary>Keys a misspelt key of this mapping was reported as probably meaning.</summary>
    public HashSet<string> Suggested { get; } = new(StringComparer.Ordinal);

    /// <summary>Missing keys not reported because a misspelt key already was: the row is still unusable.</summary>
    public int SilentErrors { get; set; }
}
