using ScottPlot;
using TorchSpecs.Training;

namespace TorchSpecs.Metrics;

/// <summary>PNG pictures of a run: the confusion matrix as a heatmap and the training curves.</summary>
public static class Plots
{
    /// <summary>A heatmap of the confusion matrix, each cell labelled with its count; rows = true class.</summary>
    public static void ConfusionHeatmap(ConfusionMatrix matrix, string path, string title)
    {
        int n = matrix.Size;
        var data = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            long support = Math.Max(1, matrix.Support(i));
            for (int j = 0; j < n; j++) data[i, j] = (double)matrix[i, j] / support; // row-normalized colour
        }
        // ScottPlot draws a heatmap's first row at the top of its extent; with the Y axis turned
        // upside down below (row 0 at the top), the rows go in reversed.
        var rows = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) rows[i, j] = data[n - 1 - i, j];
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(rows);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(-0.5, n - 0.5, n - 0.5, -0.5); // row 0 at the top
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "share of the true class";
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var text = plot.Add.Text(matrix[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 20 ? 7 : 12;
                text.LabelFontColor = data[i, j] > 0.5 ? Colors.Black : Colors.White;
            }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        string[] names = matrix.Classes.ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.Left.MinimumSize = 90;
        plot.Axes.SetLimits(-0.5, n - 0.5, n - 0.5, -0.5);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title(title);
        int size = Math.Max(700, 60 * n + 250);
        Save(plot, path, size + 120, size);
    }

    /// <summary>Loss (left axis) and accuracy (right axis) per epoch, training and validation.</summary>
    public static void TrainingCurves(IReadOnlyList<EpochRecord> history, string path, string title)
    {
        if (history.Count == 0) throw new ArgumentException("no epochs to plot", nameof(history));
        var plot = new Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var trainLoss = plot.Add.Scatter(epochs, history.Select(h => h.TrainLoss).ToArray());
        trainLoss.LegendText = "training loss";
        trainLoss.Color = Colors.Blue;
        var trainAcc = plot.Add.Scatter(epochs, history.Select(h => h.TrainAccuracy).ToArray());
        trainAcc.LegendText = "training accuracy";
        trainAcc.Color = Colors.Red;
        trainAcc.Axes.YAxis = plot.Axes.Right;
        if (history.All(h => h.ValidationLoss is not null))
        {
            var valLoss = plot.Add.Scatter(epochs, history.Select(h => h.ValidationLoss!.Value).ToArray());
            valLoss.LegendText = "validation loss";
            valLoss.Color = Colors.Blue;
            valLoss.LinePattern = LinePattern.Dashed;
            var valAcc = plot.Add.Scatter(epochs, history.Select(h => h.ValidationAccuracy!.Value).ToArray());
            valAcc.LegendText = "validation accuracy";
            valAcc.Color = Colors.Red;
            valAcc.LinePattern = LinePattern.Dashed;
            valAcc.Axes.YAxis = plot.Axes.Right;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.Label.Text = "loss (cross-entropy)";
        plot.Axes.Right.Label.Text = "accuracy";
        plot.XLabel("epoch");
        plot.Title(title);
        plot.ShowLegend(Alignment.MiddleRight);
        Save(plot, path, 900, 560);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream => stream.Write(plot.GetImageBytes(width, height, ImageFormat.Png)));
    }
}
