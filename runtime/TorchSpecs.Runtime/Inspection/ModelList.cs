using System.Text;

namespace TorchSpecs;

/// <summary>The models of a catalog as an aligned text table: name, input, output, parameters.</summary>
public static class ModelList
{
    public static string Format(IReadOnlyList<ModelInfo> models)
    {
        var rows = new List<string[]> { new[] { "Model", "Input", "Output", "Total params", "Spec" } };
        var problems = new List<string>();
        foreach (var m in models)
        {
            // One model with a broken table must not take the list of every model down with it.
            string total;
            try { total = ModelSummary.Thousands(m.TotalParams); }
            catch (Exception e) when (e is InvalidOperationException or OverflowException)
            {
                total = "?";
                problems.Add(e.Message);
            }
            rows.Add(new[] { m.Name, m.Input.ToString(), m.Output.ToString(), total, m.SpecFile });
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => c == 3 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            text.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
        foreach (var problem in problems) text.Append("? ").Append(problem).Append('\n');
        return text.ToString();
    }
}
