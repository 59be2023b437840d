using System.Globalization;
using System.Text.RegularExpressions;

namespace TorchSpecs.Tests.Documented;

/// <summary>A value of a documented table: as the document printed it, or derived by hand (marked "(derived)").</summary>
public readonly record struct Documented<T>(T Value, bool Derived)
{
    public override string ToString() => Derived ? $"{Value} (derived)" : $"{Value}";
}

/// <summary>
/// One row of a documented table. <see cref="Kind"/> is null for Keras' input row;
/// <see cref="Activation"/> is the activation a separate <c>activation:relu</c> row names.
/// </summary>
public sealed record DocumentedRow(
    int Number, int Line, string Layer, LayerKind? Kind, string? Activation,
    string OutputText, Documented<TensorShape> Output, Documented<long>? Params)
{
    public bool IsInput => Kind is null;
}

/// <summary>
/// A seed document's layer table or printed summary, transcribed into
/// <c>Documented/Tables/&lt;Model&gt;.md</c> (the format is described in that folder's README).
/// </summary>
public sealed record DocumentedTable(
    string Model, string Seed, string File, IReadOnlyList<DocumentedRow> Rows,
    Documented<long>? TotalParams, Documented<long>? TrainableParams, Documented<long>? NonTrainableParams)
{
    private const string DerivedMarker = "(derived)";

    /// <summary>The spec's <c>type</c> name of a kind: <c>conv</c>, <c>maxpool</c>, ... (the shared <see cref="LayerKinds"/> table).</summary>
    public static string KindName(LayerKind kind) => kind.TypeName();

    public static DocumentedTable Load(string path) => Parse(System.IO.File.ReadAllText(path), Path.GetFileName(path));

    public static DocumentedTable Parse(string text, string file)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        string? model = null, seed = null;
        var rows = new List<DocumentedRow>();
        Documented<long>? total = null, trainable = null, nonTrainable = null;
        bool inFence = false, sawHeader = false;

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            int lineNumber = i + 1;
            if (line.StartsWith("```", StringComparison.Ordinal)) { inFence = !inFence; continue; }
            if (inFence || line.Length == 0) continue;

            if (model is null)
            {
                if (!line.StartsWith("# ", StringComparison.Ordinal))
                    throw Error(file, lineNumber, "the first line must be '# <Model>'");
                model = line[2..].Trim();
                continue;
            }
            if (line.StartsWith("seed:", StringComparison.Ordinal)) { seed = line["seed:".Length..].Trim(); continue; }
            if (TryTotal(line, "Total params:", file, lineNumber, ref total)
                || TryTotal(line, "Trainable params:", file, lineNumber, ref trainable)
                || TryTotal(line, "Non-trainable params:", file, lineNumber, ref nonTrainable))
                continue;
            if (!line.StartsWith('|')) continue; // prose

            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (!sawHeader)
            {
                if (!cells.SequenceEqual(new[] { "layer", "kind", "output shape", "params" }))
                    throw Error(file, lineNumber, "the table header must be '| layer | kind | output shape | params |'");
                sawHeader = true;
                continue;
            }
            if (cells.All(c => c.Length > 0 && c.All(ch => ch is '-' or ':'))) continue; // |---|---|
            if (cells.Length != 4) throw Error(file, lineNumber, $"a row has 4 cells, this one has {cells.Length}");
            rows.Add(ParseRow(rows.Count + 1, lineNumber, cells, file));
        }

        if (model is null) throw Error(file, 1, "empty file");
        if (seed is null) throw Error(file, 1, "no 'seed:' line naming the seed document");
        if (rows.Count == 0) throw Error(file, 1, "no table rows");
        return new DocumentedTable(model, seed, file, rows, total, trainable, nonTrainable);
    }

    private static DocumentedRow ParseRow(int number, int line, string[] cells, string file)
    {
        string kindText = cells[1];
        LayerKind? kind = null;
        string? activation = null;
        if (kindText != "input")
        {
            string name = kindText;
            int colon = kindText.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0) (name, activation) = (kindText[..colon], kindText[(colon + 1)..]);
            if (!LayerKinds.TryParse(name, out var k) || (activation is not null && k != LayerKind.Activation))
                throw Error(file, line, $"unknown kind '{kindText}' (one of input, {string.Join(", ", LayerKinds.All.Select(k => k.TypeName()))}, activation:<name>)");
            kind = k;
        }

        var (shapeText, shapeDerived) = SplitDerived(cells[2]);
        var numbers = Regex.Matches(shapeText, "[0-9]+").Select(m => long.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
        var shape = numbers.Length switch
        {
            1 => TensorShape.Flat(numbers[0]),
            3 => new TensorShape(numbers[0], numbers[1], numbers[2]),
            _ => throw Error(file, line, $"output shape '{cells[2]}' is neither (None, H, W, C) nor (None, N)"),
        };

        Documented<long>? parameters = null;
        if (cells[3] != "-")
        {
            var (paramText, paramDerived) = SplitDerived(cells[3]);
            parameters = new Documented<long>(ParseCount(paramText, file, line), paramDerived);
        }
        return new DocumentedRow(number, line, SplitDerived(cells[0]).Text, kind, activation, shapeText,
            new Documented<TensorShape>(shape, shapeDerived), parameters);
    }

    private static bool TryTotal(string line, string label, string file, int lineNumber, ref Documented<long>? value)
    {
        if (!line.StartsWith(label, StringComparison.Ordinal)) return false;
        var (text, derived) = SplitDerived(line[label.Length..].Trim());
        value = new Documented<long>(ParseCount(text, file, lineNumber), derived);
        return true;
    }

    private static (string Text, bool Derived) SplitDerived(string cell) =>
        cell.EndsWith(DerivedMarker, StringComparison.Ordinal)
            ? (cell[..^DerivedMarker.Length].Trim(), true)
            : (cell, false);

    private static long ParseCount(string text, string file, int line) =>
        long.TryParse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw Error(file, line, $"'{text}' is not a parameter count");

    private static FormatException Error(string file, int line, string message) => new($"{file}({line}): {message}");
}
