using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

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

    /// <summary>
    /// The designer's table (<c>summary --details</c>): per row its window (kernel, stride,
    /// padding as applied), output shape, parameters, multiply-adds, receptive field and jump in
    /// input pixels; then torchinfo's totals for a batch of <paramref name="batch"/> images.
    /// </summary>
    public static string FormatDetails(ModelInfo model, int batch = 1)
    {
        var totals = ModelStatistics.Totals(model, batch);
        var header = new[] { "Layer (type)", "Kernel", "Stride", "Padding", "Output Shape", "Param #", "Mult-adds", "RF", "Jump" };
        var rows = ModelStatistics.Geometry(model).Select(g =>
        {
            var l = g.Layer;
            var (kernel, stride, padding) = l.Attributes switch
            {
                ConvAttributes c => (Window(c.Kernel), c.Stride.ToString(), Sides(c.Padding)),
                PoolAttributes p => (Window(p.Kernel), p.Stride.ToString(), Sides(p.Padding) + (p.Ceil ? ", ceil" : "")),
                ZeroPadAttributes z => ("", "", Sides(z.Padding)),
                _ => ("", "", ""),
            };
            return new[]
            {
                $"{l.Name} ({l.TypeName})", kernel, stride, padding, l.Output.ToString(),
                Thousands(l.TotalParams), Thousands(l.MultiplyAdds), g.ReceptiveField.ToString(), g.Jump?.ToString() ?? "-",
            };
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
        int width = widths.Sum() + 2 * (widths.Length - 1);
        bool[] right = { false, false, false, false, false, true, true, true, true };
        string Row(string[] cells) => string.Join("  ", cells.Select((cell, c) => right[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();

        var text = new StringBuilder();
        void Line(string s) => text.Append(s).Append('\n');
        Line($"Model: \"{model.Name}\" (input {model.Input}, output {model.Output})");
        Line(new string('=', width));
        Line(Row(header));
        Line(new string('=', width));
        foreach (var row in rows) Line(Row(row));
        Line(new string('=', width));
        Line($"Total params: {Thousands(totals.Params)}");
        Line($"Trainable params: {Thousands(totals.TrainableParams)}");
        Line($"Non-trainable params: {Thousands(totals.NonTrainableParams)}");
        Line($"Total mult-adds (G): {(totals.MultAdds / 1e9).ToString("0.000", CultureInfo.InvariantCulture)}");
        Line(new string('=', width));
        Line($"Input size (MB): {Megabytes(totals.InputBytes)}");
        Line($"Forward/backward pass size (MB): {Megabytes(totals.ForwardBackwardBytes)}");
        Line($"Params size (MB): {Megabytes(totals.ParamsBytes)}");
        Line($"Estimated Total Size (MB): {Megabytes(totals.TotalBytes)}");
        Line(new string('=', width));
        Line($"Batch {batch}, float32. MB = 10^6 bytes, as torchinfo. Non-trainable params are batch norm's moving mean and variance (Keras' count).");
        Line("RF: receptive field and Jump: effective stride, in input pixels (r = r_in + (k - 1)·j_in, j = j_in·s); '-' after a dense row, which sees the whole input.");
        return text.ToString();
    }

    /// <summary>
    /// The expanded table and the totals as one JSON object (<c>summary --json</c>): what tools
    /// outside .NET read instead of the YAML. Shapes are <c>[h, w, c]</c> or <c>[n]</c>; every row
    /// carries its keys as applied (defaults filled in, padding as <c>[top, bottom, left, right]</c>).
    /// </summary>
    public static string ToJson(ModelInfo model, int batch = 1)
    {
        var totals = ModelStatistics.Totals(model, batch);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("model", model.Name);
            if (model.Description is not null) json.WriteString("description", model.Description);
            if (model.Source is not null) json.WriteString("source", model.Source);
            json.WriteString("spec_file", model.SpecFile);
            Shape(json, "input", model.Input);
            Shape(json, "output", model.Output);
            json.WriteBoolean("ends_in_softmax", model.EndsInSoftmax);
            json.WriteStartObject("totals");
            json.WriteNumber("batch", totals.Batch);
            json.WriteNumber("params", totals.Params);
            json.WriteNumber("trainable_params", totals.TrainableParams);
            json.WriteNumber("non_trainable_params", totals.NonTrainableParams);
            json.WriteNumber("mult_adds", totals.MultAdds);
            json.WriteNumber("params_bytes", totals.ParamsBytes);
            json.WriteNumber("input_bytes", totals.InputBytes);
            json.WriteNumber("forward_backward_bytes", totals.ForwardBackwardBytes);
            json.WriteNumber("total_bytes", totals.TotalBytes);
            json.WriteEndObject();
            json.WriteStartArray("layers");
            foreach (var g in ModelStatistics.Geometry(model))
            {
                var l = g.Layer;
                json.WriteStartObject();
                json.WriteString("name", l.Name);
                json.WriteString("type", l.TypeName);
                if (l.TorchName is null) json.WriteNull("torch_name"); else json.WriteString("torch_name", l.TorchName);
                Shape(json, "input", l.Input);
                Shape(json, "output", l.Output);
                json.WriteNumber("params", l.TotalParams);
                json.WriteNumber("trainable_params", l.TrainableParams);
                json.WriteNumber("mult_adds", l.MultiplyAdds);
                Pair(json, "receptive_field", g.ReceptiveField);
                if (g.Jump is Extent2D jump) Pair(json, "jump", jump); else json.WriteNull("jump");
                if (l.Activation is not null) json.WriteString("activation", l.Activation);
                foreach (var (key, value) in l.Attributes.Keys()) Value(json, key, value);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Shape(Utf8JsonWriter json, string name, TensorShape shape)
    {
        json.WriteStartArray(name);
        if (shape.IsFlat) json.WriteNumberValue(shape.Channels);
        else { json.WriteNumberValue(shape.Height); json.WriteNumberValue(shape.Width); json.WriteNumberValue(shape.Channels); }
        json.WriteEndArray();
    }

    private static void Pair(Utf8JsonWriter json, string name, Extent2D value)
    {
        json.WriteStartArray(name);
        json.WriteNumberValue(value.Height);
        json.WriteNumberValue(value.Width);
        json.WriteEndArray();
    }

    private static void Value(Utf8JsonWriter json, string name, object value)
    {
        switch (value)
        {
            case int i: json.WriteNumber(name, i); break;
            case double d: json.WriteNumber(name, d); break;
            case bool b: json.WriteBoolean(name, b); break;
            case Size2D s:
                json.WriteStartArray(name);
                json.WriteNumberValue(s.Height); json.WriteNumberValue(s.Width);
                json.WriteEndArray();
                break;
            case Padding2D p:
                json.WriteStartArray(name);
                json.WriteNumberValue(p.Top); json.WriteNumberValue(p.Bottom); json.WriteNumberValue(p.Left); json.WriteNumberValue(p.Right);
                json.WriteEndArray();
                break;
            default: throw new ArgumentException($"key {name}: no JSON form for a {value.GetType().Name}", nameof(value));
        }
    }

    private static string Window(Size2D s) => $"{s.Height}x{s.Width}";

    /// <summary>2, 1x2 (height x width), or top,bottom,left,right when uneven.</summary>
    private static string Sides(Padding2D p) => p.IsSymmetric
        ? (p.Top == p.Left ? p.Top.ToString(CultureInfo.InvariantCulture) : $"{p.Top}x{p.Left}")
        : $"{p.Top},{p.Bottom},{p.Left},{p.Right}";

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture);

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
