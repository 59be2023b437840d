using System.Globalization;

namespace TorchSpecs;

/// <summary>A height and a width in input pixels; fractional where a resize row scales the grid.</summary>
public readonly record struct Extent2D(double Height, double Width)
{
    /// <summary><c>195</c> for a square, <c>195x97</c> otherwise; at most two decimals.</summary>
    public override string ToString() => Height == Width ? Number(Height) : $"{Number(Height)}x{Number(Width)}";

    internal static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>
/// A row's receptive field and jump (effective stride), in pixels of the model's input, by the
/// standard arithmetic: r_out = r_in + (k − 1)·j_in and j_out = j_in·s, with k the row's
/// effective kernel (dilation included) and s its stride, both from the row's
/// <see cref="LayerInfo.Window"/>. Rows from a dense row on see the whole input and have no jump.
/// </summary>
public sealed record LayerGeometry(LayerInfo Layer, Extent2D ReceptiveField, Extent2D? Jump);

/// <summary>
/// torchinfo's totals for a batch of <paramref name="Batch"/> images in float32: parameters,
/// multiply-adds, and the bytes of the input, of every row's output (twice: forward values and
/// their gradients) and of the parameters and batch-norm statistics.
/// </summary>
public sealed record ModelTotals(
    int Batch, long Params, long TrainableParams, long NonTrainableParams, long MultAdds,
    long InputBytes, long ForwardBackwardBytes, long ParamsBytes)
{
    public long TotalBytes => checked(InputBytes + ForwardBackwardBytes + ParamsBytes);
}

/// <summary>What a CNN designer reads off a layer table, computed from the spec alone (nothing is built).</summary>
public static class ModelStatistics
{
    /// <summary>Every value is a float32.</summary>
    public const int BytesPerValue = 4;

    public static IReadOnlyList<LayerGeometry> Geometry(ModelInfo model)
    {
        var rows = new List<LayerGeometry>(model.Layers.Count);
        double rh = 1, rw = 1, jh = 1, jw = 1;
        bool global = false;
        foreach (var layer in model.Layers)
        {
            var (h, w, seesEverything) = layer.Window;
            global |= seesEverything;
            if (global)
            {
                rows.Add(new LayerGeometry(layer, new Extent2D(model.Input.Height, model.Input.Width), null));
                continue;
            }
            rh += (h.Kernel - 1) * jh;
            rw += (w.Kernel - 1) * jw;
            jh *= h.Stride;
            jw *= w.Stride;
            rows.Add(new LayerGeometry(layer, new Extent2D(rh, rw), new Extent2D(jh, jw)));
        }
        return rows;
    }

    public static ModelTotals Totals(ModelInfo model, int batch = 1)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "the batch must hold at least one image");
        checked
        {
            long outputs = model.Layers.Sum(l => l.Output.Elements);
            return new ModelTotals(
                batch, model.TotalParams, model.TrainableParams, model.NonTrainableParams,
                MultAdds: model.MultiplyAdds * batch,
                InputBytes: model.Input.Elements * batch * BytesPerValue,
                ForwardBackwardBytes: 2 * outputs * batch * BytesPerValue,
                ParamsBytes: model.TotalParams * BytesPerValue);
        }
    }
}
