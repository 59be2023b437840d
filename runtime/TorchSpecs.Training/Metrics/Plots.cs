using System.Globalization;
using ScottPlot;
using TorchSpecs.Training;

namespace TorchSpecs.Metrics;

/// <summary>PNG pictures of a run: the confusion matrix as a heatmap and the training curves.</summary>
public static class Plots
{
    /// <summary>
    /// Where the confusion heatmap puts things, in plot coordinates: column j (predicted class)
    /// is centred on x = j and row i (true class) on y = i, each cell one unit wide and high, the
    /// Y axis turned so that row 0 is at the top; the axes show exactly the n x n cells.
    /// </summary>
    internal sealed record ConfusionGeometry(int Size)
    {
        public (double Left, double Right, double Top, double Bottom) Cell(int row, int column) =>
            (column - 0.5, column + 0.5, row - 0.5, row + 0.5);

        /// <summary>Tick positions of the class labels on both axes: the cell centres.</summary>
        public double[] Ticks => Enumerable.Range(0, Size).Select(i => (double)i).ToArray();

        /// <summary>X from the left edge of column 0 to the right edge of column n-1; Y from the bottom edge of row n-1 (drawn low) to the top edge of row 0.</summary>
        public (double Left, double Right, double Bottom, double Top) Limits => (-0.5, Size - 0.5, Size - 0.5, -0.5);
    }

    /// <summary>A heatmap of the confusion matrix, each cell labelled with its count; rows = true class.</summary>
    public static void ConfusionHeatmap(ConfusionMatrix matrix, string path, string title)
    {
        int n = matrix.Size;
        var geometry = new ConfusionGeometry(n);
        var colormap = new ScottPlot.Colormaps.Viridis();
        var plot = new Plot();
        for (int i = 0; i < n; i++)
        {
            long support = Math.Max(1, matrix.Support(i));
            for (int j = 0; j < n; j++)
            {
                double share = (double)matrix[i, j] / support;   // row-normalized colour
                var (left, right, top, bottom) = geometry.Cell(i, j);
                var cell = plot.Add.Rectangle(left, right, bottom, top);
                cell.FillColor = colormap.GetColor(share);
                cell.LineWidth = 0;
                var text = plot.Add.Text(matrix[i, j].ToString(CultureInfo.InvariantCulture), j, i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 20 ? 7 : 12;
                text.LabelFontColor = share > 0.5 ? Colors.Black : Colors.White;
            }
        }
        // A colour bar needs a plottable with a colour axis: an invisible 1x2 heatmap spanning 0..1.
        var scale = plot.Add.Heatmap(new double[,] { { 0, 1 } });
        scale.Colormap = colormap;
        scale.IsVisible = false;
        plot.Add.ColorBar(scale);
        string[] names = matrix.Classes.ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(geometry.Ticks, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(geometry.Ticks, names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.Left.MinimumSize = 90;
        plot.Grid.IsVisible = false;
        var (xMin, xMax, yMin, yMax) = geometry.Limits;
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.XLabel("predicted class (colour: share of the true class)");
        plot.YLabel("true class");
        plot.Title(title);
        int size = Math.Max(700, 60 * n + 250);
        Save(plot, path, size + 120, size);
    }

    /// <summary>
    /// The axis limits of the curves: epochs from 0.5 before the first to 0.5 after the last (so
    /// one epoch is a point in the middle, not on the frame), loss from 0 to above its largest
    /// value, accuracy up to 1 from a little below its smallest.
    /// </summary>
    internal static (double XMin, double XMax, double LossMax, double AccuracyMin) CurveLimits(IReadOnlyList<EpochRecord> history)
    {
        double lossMax = history.Max(h => Math.Max(h.TrainLoss, h.ValidationLoss ?? 0));
        double accuracyMin = history.Min(h => Math.Min(h.TrainAccuracy, h.ValidationAccuracy ?? 1));
        accuracyMin = Math.Max(0, Math.Floor((accuracyMin - 0.02) * 20) / 20);   // a multiple of 0.05 below the lowest
        return (history[0].Epoch - 0.5, history[^1].Epoch + 0.5, lossMax <= 0 ? 1 : lossMax * 1.1, Math.Min(accuracyMin, 0.95));
    }

    /// <summary>
    /// Loss (left axis, from 0) and accuracy (right axis, up to 1) per epoch, training and
    /// validation. Markers (a circle for loss, a square for accuracy) mark each epoch of short
    /// runs; long runs are lines only.
    /// </summary>
    public static void TrainingCurves(IReadOnlyList<EpochRecord> history, string path, string title)
    {
        if (history.Count == 0) throw new ArgumentException("no epochs to plot", nameof(history));
        var plot = new Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        float marker = history.Count <= 30 ? 8 : 0;
        void Style(ScottPlot.Plottables.Scatter s, string label, Color color, MarkerShape shape, bool validation, bool accuracy)
        {
            s.LegendText = label;
            s.Color = color;
            s.LineWidth = history.Count > 60 ? 1.5f : 2;
            s.MarkerSize = marker;
            s.MarkerShape = shape;
            if (validation) s.LinePattern = LinePattern.Dashed;
            if (accuracy) s.Axes.YAxis = plot.Axes.Right;
        }
        Style(plot.Add.Scatter(epochs, history.Select(h => h.TrainLoss).ToArray()), "training loss", Colors.Blue, MarkerShape.FilledCircle, false, false);
        Style(plot.Add.Scatter(epochs, history.Select(h => h.TrainAccuracy).ToArray()), "training accuracy", Colors.Red, MarkerShape.FilledSquare, false, true);
        if (history.All(h => h.ValidationLoss is not null))
        {
            Style(plot.Add.Scatter(epochs, history.Select(h => h.ValidationLoss!.Value).ToArray()), "validation loss", Colors.Blue, MarkerShape.OpenCircle, true, false);
            Style(plot.Add.Scatter(epochs, history.Select(h => h.ValidationAccuracy!.Value).ToArray()), "validation accuracy", Colors.Red, MarkerShape.OpenSquare, true, true);
        }
        var (xMin, xMax, lossMax, accuracyMin) = CurveLimits(history);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(xMin, xMax);
        plot.Axes.SetLimitsY(0, lossMax, plot.Axes.Left);
        plot.Axes.SetLimitsY(accuracyMin, 1, plot.Axes.Right);
        plot.Axes.Left.Label.Text = "loss (cross-entropy)";
        plot.Axes.Left.Label.ForeColor = Colors.Blue;
        plot.Axes.Right.Label.Text = "accuracy";
        plot.Axes.Right.Label.ForeColor = Colors.Red;
        plot.XLabel("epoch");
        plot.Title(history.Count == 1 ? $"{title} (1 epoch)" : title);
        plot.ShowLegend(Edge.Bottom);   // below the axes, where it hides no curve
        Save(plot, path, 900, 600);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream => stream.Write(plot.GetImageBytes(width, height, ImageFormat.Png)));
    }
}
