using TorchSpecs.Metrics;
using TorchSpecs.Training;

namespace TorchSpecs.Tests.Training;

public class PlotsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    public void Confusion_cells_are_centred_on_their_labels_and_fill_the_axes(int n)
    {
        var g = new Plots.ConfusionGeometry(n);
        var (xMin, xMax, yLow, yHigh) = g.Limits;
        Assert.Equal(n, g.Ticks.Length);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var (left, right, top, bottom) = g.Cell(i, j);
                Assert.Equal(1.0, right - left, 12);          // every cell, first and last included, is a whole cell
                Assert.Equal(1.0, bottom - top, 12);
                Assert.Equal(g.Ticks[j], (left + right) / 2, 12);   // centred on its column's label
                Assert.Equal(g.Ticks[i], (top + bottom) / 2, 12);   // and its row's
                Assert.InRange(left, xMin, xMax);
                Assert.InRange(right, xMin, xMax);
            }
        // The axes show exactly the cells: the outer edges of the first and last cells.
        Assert.Equal(g.Cell(0, 0).Left, xMin, 12);
        Assert.Equal(g.Cell(0, n - 1).Right, xMax, 12);
        Assert.Equal(g.Cell(0, 0).Top, yHigh, 12);            // row 0 at the top
        Assert.Equal(g.Cell(n - 1, 0).Bottom, yLow, 12);
    }

    private static EpochRecord[] History(int epochs) => Enumerable.Range(1, epochs)
        .Select(e => new EpochRecord(e, 0.1, 1.0 / e, 0.6 + 0.3 * e / epochs, 1.1 / e, 0.55 + 0.3 * e / epochs, 1000, 30)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void Curve_axes_hold_every_point_with_a_margin(int epochs)
    {
        var history = History(epochs);
        var (xMin, xMax, lossMax, accuracyMin) = Plots.CurveLimits(history);
        Assert.Equal(0.5, xMin);
        Assert.Equal(epochs + 0.5, xMax);
        Assert.True(lossMax > history.Max(h => Math.Max(h.TrainLoss, h.ValidationLoss!.Value)));
        Assert.True(accuracyMin < history.Min(h => Math.Min(h.TrainAccuracy, h.ValidationAccuracy!.Value)));
        Assert.True(accuracyMin >= 0);
    }

    [Fact]
    public void Pictures_are_written_for_one_epoch_and_for_a_hundred()
    {
        using var dir = new TempDirectory();
        foreach (int epochs in new[] { 1, 100 })
        {
            string file = dir.File($"curves{epochs}.png");
            Plots.TrainingCurves(History(epochs), file, "test");
            Assert.True(new FileInfo(file).Length > 5000);
        }
        var matrix = ConfusionMatrix.From(new[] { "a", "b", "c" }, new long[] { 0, 1, 2, 2, 1 }, new long[] { 0, 1, 2, 1, 1 });
        Plots.ConfusionHeatmap(matrix, dir.File("confusion.png"), "test");
        Assert.True(new FileInfo(dir.File("confusion.png")).Length > 5000);
        if (Environment.GetEnvironmentVariable("TORCHSPECS_KEEP_PICTURES") is { Length: > 0 } keep)
            foreach (var f in Directory.GetFiles(dir.Path, "*.png")) File.Copy(f, Path.Combine(keep, Path.GetFileName(f)), true);
    }
}
