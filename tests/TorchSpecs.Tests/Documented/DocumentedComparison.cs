namespace TorchSpecs.Tests.Documented;

/// <summary>
/// Compares a model's generated summary (its <see cref="ModelInfo"/> layer table) with a
/// documented table, row by row, by position and kind: names may differ (Keras numbers them).
/// </summary>
public static class DocumentedComparison
{
    /// <summary>Every difference, in table order; empty when the summary agrees with the document.</summary>
    public static IReadOnlyList<string> Differences(DocumentedTable table, ModelInfo model)
    {
        var differences = new List<string>();
        var layers = model.Layers;
        int next = 0;                 // the next spec row to match
        LayerInfo? previous = null;   // the spec row matched last
        bool foldTaken = false;       // its folded activation already matched a documented row

        foreach (var row in table.Rows)
        {
            string where = $"row {row.Number} '{row.Layer}' ({table.File} line {row.Line})";
            if (row.IsInput)
            {
                Check(differences, $"{where} vs the model's input", "output shape", row.Output, model.Input);
                if (row.Params is { } inputParams) Check(differences, $"{where} vs the model's input", "params", inputParams, 0L);
                continue;
            }

            bool nextIsActivation = next < layers.Count && layers[next].Kind == LayerKind.Activation;
            if (row.Kind == LayerKind.Activation && !nextIsActivation && previous?.Activation is { } folded && folded != "none")
            {
                string against = $"{where} vs the activation folded into spec row {next} '{previous.Name}' ({folded})";
                if (foldTaken)
                    differences.Add($"{against}: the fold already matched an earlier documented row");
                else if (row.Activation is { } named && !string.Equals(named, folded, StringComparison.OrdinalIgnoreCase))
                    differences.Add($"{against}: activation: documented {named}, generated summary {folded}");
                else
                {
                    Check(differences, against, "output shape", row.Output, previous.Output);
                    if (row.Params is { } foldParams) Check(differences, against, "params", foldParams, 0L);
                }
                foldTaken = true;
                continue;
            }

            if (next >= layers.Count)
            {
                differences.Add($"{where}: the generated summary has no row here, it ends after {layers.Count} rows");
                return differences;
            }

            var layer = layers[next++];
            previous = layer;
            foldTaken = false;
            string pair = $"{where} vs spec row {next} '{layer.Name}'";
            if (row.Kind != layer.Kind)
            {
                differences.Add($"{pair}: kind: documented {DocumentedTable.KindName(row.Kind!.Value)}, generated summary {DocumentedTable.KindName(layer.Kind)}");
                return differences; // the rows no longer line up; what follows would be noise
            }
            if (row.Activation is { } activation && !string.Equals(activation, layer.Activation, StringComparison.OrdinalIgnoreCase))
                differences.Add($"{pair}: activation: documented {activation}, generated summary {layer.Activation ?? "none"}");
            Check(differences, pair, "output shape", row.Output, layer.Output);
            if (row.Params is { } parameters) Check(differences, pair, "params", parameters, layer.TotalParams);
        }

        if (next < layers.Count)
            differences.Add($"the documented table ends after row {table.Rows.Count}, the generated summary goes on with "
                + string.Join(", ", layers.Skip(next).Select(l => $"'{l.Name}' ({DocumentedTable.KindName(l.Kind)})")));

        if (table.TotalParams is { } total) Check(differences, "totals", "Total params", total, model.TotalParams);
        if (table.TrainableParams is { } trainable) Check(differences, "totals", "Trainable params", trainable, model.TrainableParams);
        if (table.NonTrainableParams is { } nonTrainable) Check(differences, "totals", "Non-trainable params", nonTrainable, model.NonTrainableParams);
        return differences;
    }

    private static void Check(List<string> differences, string where, string what, Documented<TensorShape> documented, TensorShape generated)
    {
        if (documented.Value != generated)
            differences.Add($"{where}: {what}: documented {documented.Value.ToKeras()}{Mark(documented.Derived)}, generated summary {generated.ToKeras()}");
    }

    private static void Check(List<string> differences, string where, string what, Documented<long> documented, long generated)
    {
        if (documented.Value != generated)
            differences.Add($"{where}: {what}: documented {ModelSummary.Thousands(documented.Value)}{Mark(documented.Derived)}, generated summary {ModelSummary.Thousands(generated)}");
    }

    private static string Mark(bool derived) => derived ? " (derived)" : "";
}
