using System.Globalization;
using System.Text;

namespace TorchSpecs;

/// <summary>
/// Keras-style summaries (<c>model.summary()</c>), the form the documented tables are printed
/// in: one row per layer with its output shape and parameter count, then the totals. Batch
/// norm counts 4 values per channel, 2 of them trainable, as Keras does.
/// </summary>
public static class ModelSummary
{
    private const int ShapeWidth = 26;
    private const int ParamWidth = 10;

    public static string Format(ModelInfo model)
    {
        var rows = model.Layers
            .Select(l => (Name: $"{l.Name} ({l.KerasType})", Shape: l.Output.ToKeras(), Params: l.TotalParams.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        int nameWidth = Math.Max(29, rows.Max(r => r.Name.Length) + 1);
        int shapeWidth = Math.Max(ShapeWidth, rows.Max(r => r.Shape.Length) + 1);
        int width = nameWidth + shapeWidth + ParamWidth;

        var text = new StringBuilder();
        void Line(string s) => text.Append(s.TrimEnd()).Append('\n');
        string Row(string a, string b, string c) => a.PadRight(nameWidth) + b.PadRight(shapeWidth) + c;

        Line($"Model: \"{model.Name}\"");
        Line($"Input {model.Input}, output {model.Output}, {FormatCount(model.MultiplyAdds)} multiply-adds per image");
        Line(new string('_', width));
        Line(Row("Layer (type)", "Output Shape", "Param #"));
        Line(new string('=', width));
        for (int i = 0; i < rows.Count; i++)
        {
            Line(Row(rows[i].Name, rows[i].Shape, rows[i].Params));
            if (i < rows.Count - 1) Line(new string('_', width));
        }
        Line(new string('=', width));
        Line($"Total params: {Thousands(model.TotalParams)}");
        Line($"Trainable params: {Thousands(model.TrainableParams)}");
        Line($"Non-trainable params: {Thousands(model.NonTrainableParams)}");
        return text.ToString();
    }

    /// <summary>62,380,776.</summary>
    public static string Thousands(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>1.14 G, 724.5 M, 12.3 k.</summary>
    public static string FormatCount(double value) => value switch
    {
        >= 1e9 => (value / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " G",
        >= 1e6 => (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " M",
        >= 1e3 => (value / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + " k",
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };
}
