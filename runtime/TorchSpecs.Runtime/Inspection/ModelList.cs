using System.Text;

namespace TorchSpecs;

/// <summary>The models of a catalog as an aligned text table: name, input, output, parameters.</summary>
public static class ModelList
{
    public static string Format(IReadOnlyList<ModelInfo> models)
    {
        var rows = new List<string[]> { new[] { "Model", "Input", "Output", "Total params", "Spec" } };
        rows.AddRange(models.Select(m => new[]
        {
            m.Name, m.Input.ToString(), m.Output.ToString(), ModelSummary.Thousands(m.TotalParams), m.SpecFile,
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => c == 3 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
        return text.ToString();
    }
}
