using System.Globalization;
using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Generator.Inference;

/// <summary>
/// Limits on an inferred model as a whole, so that an accepted spec also runs: no row may hold
/// more parameters than one tensor can index, the model's totals must fit the runtime's
/// 64-bit sums, and an LRN window must not need a buffer larger than a layer's output may be.
/// Runs after shape inference on rows that inferred cleanly; each problem is a TS0107 at the row.
/// </summary>
internal static class ModelLimits
{
    /// <summary>The most parameters one row, and the whole model, may hold: 2^31 - 1 (8 GiB as float32).</summary>
    public const long MaxParams = int.MaxValue;

    /// <summary>As many values as a layer's output may hold per example (TS0107).</summary>
    public const long MaxValues = int.MaxValue;

    public static IEnumerable<DiagnosticInfo> Check(ModelPlan plan)
    {
        long total = 0;
        long multiplyAdds = 0;
        bool totalReported = false;
        foreach (var layer in plan.Layers)
        {
            var l = layer.Spec;
            long rowParams;
            try { rowParams = checked(layer.TrainableParams + layer.NonTrainableParams); }
            catch (OverflowException) { rowParams = long.MaxValue; }

            if (rowParams > MaxParams)
            {
                yield return DiagnosticInfo.Create(DiagnosticDescriptors.TensorTooLarge, l.Location, l.Name,
                    $"would hold {Big(rowParams)} parameters on its {layer.Input} input", SpecLimitsText(MaxParams));
                totalReported = true; // one cause, one diagnostic: the total then is not reported again
                continue;
            }

            if (l is LrnSpec lrn && !layer.Input.IsFlat)
            {
                // libtorch pads the channels by the window before averaging: (C + window - 1) x H x W values.
                long window = lrn.Size;
                double buffer = (double)(layer.Input.C + window - 1) * layer.Input.H * layer.Input.W;
                if (buffer > MaxValues)
                {
                    yield return DiagnosticInfo.Create(DiagnosticDescriptors.TensorTooLarge, l.Location, l.Name,
                        $"has a window of {Big(window)} channels, which needs a {Big(layer.Input.C + window - 1)}x{layer.Input.H}x{layer.Input.W} = {Big(buffer)} value buffer per example",
                        SpecLimitsText(MaxValues));
                    continue;
                }
            }

            bool overflow = false;
            try
            {
                total = checked(total + rowParams);
                multiplyAdds = checked(multiplyAdds + layer.MultiplyAdds);
            }
            catch (OverflowException) { overflow = true; }
            if ((overflow || total > MaxParams) && !totalReported)
            {
                totalReported = true;
                yield return DiagnosticInfo.Create(DiagnosticDescriptors.TensorTooLarge, l.Location, l.Name,
                    overflow && total <= MaxParams
                        ? "brings the model's multiply-adds past what a 64-bit count holds"
                        : $"brings the model's parameters to {(overflow ? "more than " + Big(long.MaxValue) : Big(total))}",
                    SpecLimitsText(MaxParams) + " for the whole model");
            }
        }
    }

    private static string SpecLimitsText(long limit) => limit.ToString(CultureInfo.InvariantCulture);

    private static string Big(double n) => n < 1e7
        ? n.ToString("0", CultureInfo.InvariantCulture)
        : n.ToString("G6", CultureInfo.InvariantCulture);
}
