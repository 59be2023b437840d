using System.IO;
using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// A spec file as the family step needs it: its text, its model name and the model it builds
/// on (<c>base:</c>). Plain strings and a location, so the pipeline can compare it.
/// </summary>
internal sealed record SpecSource(string FilePath, string Text, string? Model, string? Base, LocationInfo? BaseLocation, bool UsesFamilyKeys);

/// <summary>
/// Families of specs (docs/spec-format.md, "Families"): a spec may start from another spec's
/// table (<c>base:</c>), change rows of it by name, insert rows <c>after:</c>/<c>before:</c> a
/// named row, <c>remove:</c> rows, and apply the <c>batchnorm:</c> rule. The expanded table is
/// read by the same row reader as a plain spec, so every row check applies unchanged.
/// </summary>
internal sealed partial class SpecParser
{
    private static readonly string[] EditKeys = { "after", "before", "remove" };
    private static readonly string[] BatchNormModes = { "after_conv", "after_activation" };

    /// <summary>Where each YAML node of another file (a base) comes from; nodes of this file are not listed.</summary>
    private readonly Dictionary<YNode, string> _origins = new();

    private string PathOf(YNode node) => _origins.TryGetValue(node, out var path) ? path : _path;

    /// <summary>
    /// A derived spec that changes the input, a row or the defaults: its inherited rows are
    /// re-inferred, and their documented outputs (the base's document) are not checked.
    /// </summary>
    private bool _reinferInherited;

    /// <summary>The model of each file of the chain, for "inherited from".</summary>
    private readonly Dictionary<string, string> _modelOf = new(StringComparer.Ordinal);

    /// <summary>The model a row of another file is inherited from, or null for this file's rows.</summary>
    private string? InheritedFrom(YNode row)
    {
        string path = PathOf(row);
        return path == _path ? null : _modelOf.TryGetValue(path, out var model) ? model : "the base";
    }

    /// <summary>True when the documented output is inherited and this spec re-infers it instead of checking it.</summary>
    private bool IgnoresDocumentedOutput(YNode output) => _reinferInherited && PathOf(output) != _path;

    /// <summary>The model and base names of a file, read leniently: the full parse reports any problem.</summary>
    public static SpecSource ReadHeader(string path, string? text)
    {
        text ??= "";
        string? model = null, baseName = null;
        LocationInfo? baseLocation = null;
        bool family = false;
        try
        {
            if (YamlTree.Read(text, new List<YamlProblem>()) is YMapping top)
            {
                foreach (var entry in top.Entries)
                {
                    switch (entry.Key.Value)
                    {
                        case "model" when entry.Value is YScalar { IsNull: false } m:
                            model = m.Value;
                            break;
                        case "base":
                            family = true;
                            var v = entry.Value;
                            baseLocation = new LocationInfo(path, v.Start.Index, Math.Max(0, v.End.Index - v.Start.Index), v.Start.Line, v.Start.Column, v.End.Line, v.End.Column);
                            if (entry.Value is YScalar { IsNull: false } b) baseName = b.Value;
                            break;
                        case "batchnorm":
                            family = true;
                            break;
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Unreadable YAML: the full parse reports it.
        }
        return new SpecSource(path, text, model, baseName, baseLocation, family);
    }

    /// <summary>
    /// Reads the last spec of <paramref name="chain"/> (root first, each the base of the next)
    /// into its expanded table; a spec without a base is a chain of one, read the same way.
    /// Problems in this file are reported where they are; a problem in a base file is that
    /// file's to report, and here becomes one TS0016 at <c>base:</c>.
    /// </summary>
    public static ParsedSpec ParseFamily(IReadOnlyList<SpecSource> chain)
    {
        var (self, spec, all) = ReadChain(chain);
        var own = all.Where(d => d.Location.FilePath == self.FilePath).ToList();
        var foreignError = all.FirstOrDefault(d => d.Location.FilePath != self.FilePath && d.IsError);
        if (foreignError is not null)
        {
            own.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BaseHasErrors, self.BaseLocation ?? LocationInfo.FileStart(self.FilePath),
                self.Base ?? "", Path.GetFileName(foreignError.Location.FilePath)));
            spec = null;
        }
        return new ParsedSpec(self.FilePath, spec, own.ToEquatableArray());
    }

    /// <summary>Every diagnostic of reading the chain, in whichever file of it they are (for tests: a base read as a base reports what it reports alone).</summary>
    internal static (SpecSource Self, NetworkSpec? Spec, List<DiagnosticInfo> Diagnostics) ReadChain(IReadOnlyList<SpecSource> chain)
    {
        var self = chain[chain.Count - 1];
        var parser = new SpecParser(self.FilePath) { _textEnd = EndOf(self.Text) };
        NetworkSpec? spec;
        try
        {
            spec = parser.ExpandChain(chain);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug of ours must not take every model of the build down with it (CS8785).
            parser.Report(DiagnosticDescriptors.InternalError, LocationInfo.FileStart(self.FilePath), $"{e.GetType().Name}: {e.Message}");
            spec = null;
        }
        return (self, spec, parser._diagnostics);
    }

    private NetworkSpec? ExpandChain(IReadOnlyList<SpecSource> chain)
    {
        string? model = null, ns = null, description = null, source = null;
        LocationInfo? modelLocation = null;
        Shape? input = null;
        LocationInfo? inputLocation = null;
        bool emptyReported = false;
        var defaults = new Dictionary<string, YNode>(StringComparer.Ordinal);
        var rows = new List<Draft>();

        for (int level = 0; level < chain.Count; level++)
        {
            var file = chain[level];
            bool isSelf = level == chain.Count - 1;
            var top = ReadTop(file, isSelf);
            if (top is null) return null;
            var values = ReadKeys(top, TopLevelKeys, "the spec");
            var start = Loc(top.Start, top.Start, file.FilePath);

            // Every file's model name is checked (a base's problems are its own); the last one names this model.
            _modelName = null;
            string? name = ReadModelName(top, values);
            if (isSelf)
            {
                model = name;
                modelLocation = values.TryGetValue("model", out var modelNode) ? Loc(modelNode) : start;
            }
            if (values.TryGetValue("namespace", out var nsNode))
            {
                ns = OptionalString(values, "namespace");
                if (ns is not null && !IsValidNamespace(ns))
                    Report(DiagnosticDescriptors.InvalidName, Loc(nsNode), "namespace", ns, "it must be dotted C# identifiers, such as My.Models");
            }
            description = OptionalString(values, "description") ?? description;
            source = OptionalString(values, "source") ?? source;

            if (values.TryGetValue("input", out var inputNode))
            {
                input = ReadShape(inputNode, "input", mustBeMap: true);
                // Blamed for an inherited row's failure only when no other table-wide change (defaults, batchnorm rule) could be.
                inputLocation = isSelf && !values.ContainsKey("defaults") && !values.ContainsKey("batchnorm") ? Loc(inputNode) : null;
            }
            else if (level == 0 && !values.Suggested.Contains("input"))
                Report(DiagnosticDescriptors.MissingKey, start, "The spec", "input", "the input size as HxWxC, e.g. input: 227x227x3");

            if (values.TryGetValue("defaults", out var defaultsNode))
            {
                if (defaultsNode is YMapping defaultsMap)
                {
                    foreach (var d in ReadKeys(defaultsMap, LayerDefinitions.KindKeys, "defaults"))
                        defaults[d.Key] = d.Value;
                }
                else if (!(defaultsNode is YScalar { IsNull: true }))
                {
                    Report(DiagnosticDescriptors.WrongValueType, Loc(defaultsNode), "defaults", "a mapping of row keys", defaultsNode.Describe());
                }
            }

            if (isSelf && level > 0)
                _reinferInherited = values.ContainsKey("input") || values.ContainsKey("layers") || values.ContainsKey("defaults");
            _modelOf[file.FilePath] = file.Model ?? name ?? "the base";

            if (level == 0)
            {
                // The root of the chain: a base that could not be followed was reported by the resolver,
                // unless it is not a name at all.
                if (values.TryGetValue("base", out var baseNode))
                {
                    // Read on its own (no resolver followed the base: a spec read outside the build), the base is unknown.
                    if (RequireString(baseNode, "base") is { } baseName && chain.Count == 1)
                        Report(DiagnosticDescriptors.UnknownBase, Loc(baseNode), baseName, "");
                    return null;
                }
                emptyReported = ReadRootRows(values, start, rows);
            }
            else if (values.TryGetValue("layers", out var editsNode))
            {
                ApplyEdits(rows, editsNode, chain[level - 1].Model ?? "the base");
            }

            if (values.TryGetValue("batchnorm", out var ruleNode))
                ApplyBatchNormRule(rows, ruleNode, defaults);
        }

        var mappings = new List<YNode>();
        foreach (var row in rows)
        {
            if (row.Raw is not null)
            {
                mappings.Add(row.Raw);
                continue;
            }
            var mapping = new YMapping(row.Entries.ToList(), row.Start, row.End);
            if (row.Path != _path) _origins[mapping] = row.Path;
            mappings.Add(mapping);
        }
        var layers = new List<LayerSpec>();
        if (mappings.Count == 0 && !emptyReported)
            Report(DiagnosticDescriptors.EmptySpec, LocationInfo.FileStart(_path), "the expanded table has no rows; a model needs at least one layer row");
        ReadLayers(new YSequence(mappings, default, default), defaults, layers);

        // Without a valid model name the table is still checked (Model is then empty: no model).
        if (input is null) return null;
        return new NetworkSpec
        {
            FilePath = _path,
            Model = model ?? "",
            ModelLocation = modelLocation ?? LocationInfo.FileStart(_path),
            Namespace = ns,
            Description = description,
            Source = source,
            Input = input.Value,
            InputLocation = chain.Count > 1 ? inputLocation : null,
            Layers = layers.ToEquatableArray(),
        };
    }

    /// <summary>Reads one file of the chain to its top mapping; nodes of a base file are marked with its path.</summary>
    private YMapping? ReadTop(SpecSource file, bool isSelf) =>
        ReadTop(file.Text, file.FilePath, isSelf ? null : root => MarkOrigin(root, file.FilePath));

    private void MarkOrigin(YNode node, string path)
    {
        if (_origins.ContainsKey(node)) return;
        _origins[node] = path;
        switch (node)
        {
            case YSequence seq:
                foreach (var item in seq.Items) MarkOrigin(item, path);
                break;
            case YMapping map:
                foreach (var entry in map.Entries)
                {
                    MarkOrigin(entry.Key, path);
                    MarkOrigin(entry.Value, path);
                }
                break;
        }
    }

    /// <summary>The rows of the chain's root, as written; true when it reported the table as missing or empty.</summary>
    private bool ReadRootRows(KeyValues values, LocationInfo start, List<Draft> rows)
    {
        if (!values.TryGetValue("layers", out var layersNode))
        {
            if (!values.Suggested.Contains("layers"))
                Report(DiagnosticDescriptors.MissingKey, start, "The spec", "layers", "the list of layer rows, one - { name: conv1, type: conv, ... } per line");
            return true;
        }
        if (layersNode is YScalar { IsNull: true } || layersNode is YSequence { Items.Count: 0 })
        {
            Report(DiagnosticDescriptors.EmptySpec, Loc(layersNode), "'layers' is empty; a model needs at least one layer row");
            return true;
        }
        if (layersNode is not YSequence seq)
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(layersNode), "layers", "a list of layer rows", layersNode.Describe());
            return true;
        }
        for (int i = 0; i < seq.Items.Count; i++)
        {
            if (seq.Items[i] is YMapping row)
            {
                foreach (var entry in row.Entries.Where(e => EditKeys.Contains(e.Key.Value)))
                    Report(DiagnosticDescriptors.UnknownKey, Loc(entry.Key), entry.Key.Value, $"layers[{i}]",
                        $"; '{entry.Key.Value}' edits the table of a base, and this spec has no base:");
                rows.Add(new Draft(row.Entries.Where(e => !EditKeys.Contains(e.Key.Value)), row.Start, row.End, PathOf(row)));
            }
            else
            {
                // Kept in its place: the row reader reports it, and the rows after it go on from there.
                rows.Add(new Draft(seq.Items[i], PathOf(seq.Items[i])));
            }
        }
        return false;
    }

    /// <summary>A derived spec's rows: each changes, inserts or removes one row of the base's expanded table.</summary>
    private void ApplyEdits(List<Draft> rows, YNode editsNode, string baseModel)
    {
        if (editsNode is YScalar { IsNull: true }) return;
        if (editsNode is not YSequence edits)
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(editsNode), "layers", "a list of rows that change, insert or remove rows of the base", editsNode.Describe());
            return;
        }
        for (int i = 0; i < edits.Items.Count; i++)
        {
            if (edits.Items[i] is not YMapping edit)
            {
                Report(DiagnosticDescriptors.WrongValueType, Loc(edits.Items[i]), $"layers[{i}]", "a mapping such as { name: conv3_3, kernel: 3 }", edits.Items[i].Describe());
                continue;
            }
            ApplyEdit(rows, edit, baseModel);
        }
    }

    private void ApplyEdit(List<Draft> rows, YMapping edit, string baseModel)
    {
        YNode? Get(string key) => edit.Entries.FirstOrDefault(e => e.Key.Value == key).Value;
        var nameNode = Get("name");
        var after = Get("after");
        var before = Get("before");
        var remove = Get("remove");
        var editStart = Loc(edit.Start, edit.Start, PathOf(edit));
        string? name = null;
        if (nameNode is not null && (name = RequireString(nameNode, "name")) is null) return;

        if (after is not null && before is not null)
        {
            Report(DiagnosticDescriptors.ConflictingKeys, Loc(before), "a row goes either after or before another row, not both; keep one of after: and before:");
            return;
        }

        if (remove is not null)
        {
            var extra = edit.Entries.FirstOrDefault(e => e.Key.Value is not ("name" or "remove"));
            if (extra.Key is not null)
            {
                Report(DiagnosticDescriptors.ConflictingKeys, Loc(extra.Key), $"'{extra.Key.Value}' cannot go with remove: a remove row names the row to delete and nothing else");
                return;
            }
            if (remove is not YScalar { IsPlain: true, Value: "true" or "True" or "TRUE" })
            {
                Report(DiagnosticDescriptors.WrongValueType, Loc(remove), "remove", "true (leave the row out of the list to keep the base row)", remove.Describe());
                return;
            }
            if (name is null)
            {
                Report(DiagnosticDescriptors.MissingKey, editStart, "A remove row", "name", "the name of the base row to delete");
                return;
            }
            int index = FindRow(rows, name);
            if (index < 0) ReportUnknownRow(nameNode!, name, baseModel, "remove", rows);
            else rows.RemoveAt(index);
            return;
        }

        var anchor = after ?? before;
        if (anchor is not null)
        {
            string key = after is not null ? "after" : "before";
            string? anchorName = RequireString(anchor, key);
            if (anchorName is null) return;
            int at = FindRow(rows, anchorName);
            if (at < 0)
            {
                ReportUnknownRow(anchor, anchorName, baseModel, $"insert a row {key}", rows);
                return;
            }
            if (name is not null && FindRow(rows, name) is int clash and >= 0)
            {
                Report(DiagnosticDescriptors.DuplicateLayerName, Loc(nameNode!), name,
                    $"{clash + 1} of the table it builds on (to change that row, leave out {key}:)");
                return;
            }
            var inserted = new Draft(edit.Entries.Where(e => e.Key.Value is not ("after" or "before")), edit.Start, edit.End, PathOf(edit));
            rows.Insert(after is not null ? at + 1 : at, inserted);
            return;
        }

        if (name is null)
        {
            Report(DiagnosticDescriptors.MissingKey, editStart, "A row of a spec with a base", "name",
                "the base row it changes; to add a row, say where with after: or before:");
            return;
        }
        int target = FindRow(rows, name);
        if (target < 0)
        {
            ReportUnknownRow(nameNode!, name, baseModel, "change", rows,
                "; to add a row, say where it goes with after: <row> or before: <row>");
            return;
        }
        var existing = rows[target];
        if (Get("type") is not null)
        {
            // A new type replaces the row: the base row's keys belong to the old type.
            rows[target] = new Draft(edit.Entries, edit.Start, edit.End, PathOf(edit));
            return;
        }
        // The changed row is this spec's now: it is reported at the edit (its name), and its
        // inherited keys keep their places in the base's file.
        var merged = new Draft(existing.Entries, edit.Start, edit.End, PathOf(edit));
        foreach (var entry in edit.Entries)
            merged.Set(entry.Key, entry.Value);
        rows[target] = merged;
    }

    private void ReportUnknownRow(YNode at, string name, string baseModel, string action, List<Draft> rows, string extra = "")
    {
        var names = Enumerable.Range(0, rows.Count).Select(i => NameOf(rows, i)).Where(n => n is not null).Select(n => n!).ToList();
        Report(DiagnosticDescriptors.UnknownRow, Loc(at), name, baseModel, action, DidYouMean(name, names) + extra);
    }

    /// <summary>
    /// batchnorm: after_conv inserts a batch norm row after every conv row and moves the conv's
    /// activation onto it (conv → BN → ReLU, torchvision's make_layers); after_activation inserts
    /// it after the conv and its activation (most Keras code). The new row is named after the
    /// conv (conv3_1 → bn3_1, block1_conv2 → block1_bn2, other names get _bn) and documents the
    /// conv's output.
    /// </summary>
    private void ApplyBatchNormRule(List<Draft> rows, YNode rule, Dictionary<string, YNode> defaults)
    {
        string? mode = rule is YScalar { IsNull: false } s ? s.Value : null;
        if (mode is null || !BatchNormModes.Contains(mode))
        {
            Report(DiagnosticDescriptors.WrongValueType, Loc(rule), "batchnorm",
                $"after_conv (conv, batch norm, then the conv's activation, as torchvision) or after_activation (batch norm after the conv's activation){(mode is null ? "" : DidYouMean(mode, BatchNormModes))}",
                rule.Describe());
            return;
        }
        string origin = PathOf(rule);
        YScalar Synth(string value)
        {
            var node = new YScalar(value, true, rule.Start, rule.End);
            if (origin != _path) _origins[node] = origin;
            return node;
        }

        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Get("type") is not YScalar { Value: "conv" }) continue;
            string? convName = NameOf(rows, i);
            if (convName is null) continue;
            // A name the table already has (a base that already has batch norm rows): the rule's own mistake, reported at it.
            if (FindRow(rows, BatchNormName(convName)) is int existing and >= 0)
            {
                Report(DiagnosticDescriptors.DuplicateLayerName, Loc(rule), BatchNormName(convName),
                    $"{existing + 1} of the table (the batchnorm: rule names the row after {convName}; does the base already have batch norm rows?)");
                return;
            }
            var conv = rows[i];
            var entries = new List<KeyValuePair<YScalar, YNode>>
            {
                new(Synth("name"), Synth(BatchNormName(convName))),
                new(Synth("type"), Synth("batchnorm")),
            };
            if (mode == "after_conv")
            {
                var activation = conv.Get("activation") ?? (defaults.TryGetValue("activation", out var d) ? d : null);
                if (activation is not null)
                {
                    entries.Add(new(Synth("activation"), activation));
                    conv = new Draft(conv.Entries, conv.Start, conv.End, conv.Path);
                    conv.Set(Synth("activation"), Synth("none"));
                    rows[i] = conv;
                }
            }
            if (conv.Get("output") is YNode output) entries.Add(new(Synth("output"), output));
            rows.Insert(i + 1, new Draft(entries, rule.Start, rule.End, origin));
            i++;
        }
    }

    internal static string BatchNormName(string convName)
    {
        int at = convName.LastIndexOf("conv", StringComparison.Ordinal);
        return at >= 0 ? convName.Substring(0, at) + "bn" + convName.Substring(at + 4) : convName + "_bn";
    }

    private static int FindRow(List<Draft> rows, string name)
    {
        for (int i = 0; i < rows.Count; i++)
            if (NameOf(rows, i) == name) return i;
        return -1;
    }

    /// <summary>The row's name as written, or the one the reader derives (conv2 for the second unnamed conv).</summary>
    private static string? NameOf(List<Draft> rows, int index)
    {
        if (rows[index].Get("name") is YScalar { IsNull: false } named) return named.Value;
        if (rows[index].Get("type") is not YScalar { IsNull: false } type || !LayerDefinitions.TryGet(type.Value, out var definition)) return null;
        string prefix = definition.NamePrefix;
        int count = 0;
        for (int i = 0; i <= index; i++)
            if (rows[i].Get("type") is YScalar { IsNull: false } t && t.Value == type.Value) count++;
        return prefix + count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>torch_name: a dotted module path such as features.0 or classifier.1.</summary>
    private string? ReadTorchName(YNode node)
    {
        string? value = RequireString(node, "torch_name");
        if (value is null) return null;
        var parts = value.Split('.');
        if (parts.All(p => p.Length > 0 && p.All(c => char.IsLetterOrDigit(c) || c == '_'))) return value;
        Report(DiagnosticDescriptors.WrongValueType, Loc(node), "torch_name", "a PyTorch module path such as features.0", node.Describe());
        return null;
    }

    /// <summary>One row of the table being expanded: its keys, where it starts, and the file it comes from.</summary>
    private sealed class Draft
    {
        public Draft(IEnumerable<KeyValuePair<YScalar, YNode>> entries, TextMark start, TextMark end, string path)
        {
            Entries = entries.ToList();
            Start = start;
            End = end;
            Path = path;
        }

        /// <summary>A row that is not a mapping, kept as written for the row reader to report.</summary>
        public Draft(YNode raw, string path) : this(Enumerable.Empty<KeyValuePair<YScalar, YNode>>(), raw.Start, raw.End, path) => Raw = raw;

        public YNode? Raw { get; }
        public List<KeyValuePair<YScalar, YNode>> Entries { get; }
        public TextMark Start { get; }
        public TextMark End { get; }
        public string Path { get; }

        public YNode? Get(string key) => Entries.FirstOrDefault(e => e.Key.Value == key).Value;

        public void Set(YScalar key, YNode value)
        {
            int at = Entries.FindIndex(e => e.Key.Value == key.Value);
            if (at >= 0) Entries[at] = new KeyValuePair<YScalar, YNode>(key, value);
            else Entries.Add(new KeyValuePair<YScalar, YNode>(key, value));
        }
    }
}
