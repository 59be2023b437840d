using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Metrics;

/// <summary>What <see cref="Evaluation.Run"/> measured and where it wrote it.</summary>
public sealed record EvaluationResult(
    ConfusionMatrix Matrix, double Loss, string ReportFile, string ConfusionTextFile, string ConfusionImage, string? CurvesImage)
{
    public double Accuracy => Matrix.Accuracy;
}

/// <summary>Evaluates a trained model on a labelled set and writes the report and pictures.</summary>
public static class Evaluation
{
    public const string ReportFileName = "report.txt";
    public const string ConfusionTextFileName = "confusion.txt";
    public const string ConfusionImageFileName = "confusion.png";
    public const string CurvesImageFileName = "curves.png";

    /// <summary>
    /// Predicts every image of <paramref name="data"/> with <paramref name="model"/> on
    /// <paramref name="device"/> (default: where the model's parameters are), then writes
    /// report.txt (accuracy, loss, per-class precision/recall/F1/support, confusion matrix, and
    /// the files left out as unreadable), confusion.txt, confusion.png and, when
    /// <paramref name="history"/> has epochs, curves.png into <paramref name="outputDirectory"/>.
    /// With <paramref name="testTimeFlip"/>, each image's logits are averaged with its mirror image's.
    /// </summary>
    public static EvaluationResult Run(nn.Module<Tensor, Tensor> model, string modelName, ImageDataSet data, BatchTransform transform,
        string outputDirectory, IReadOnlyList<EpochRecord>? history = null, int batchSize = 500, bool testTimeFlip = false, Device? device = null)
    {
        var (predictions, loss) = Trainer.Predict(model, data, transform, batchSize, testTimeFlip: testTimeFlip, device: device);
        ConfusionMatrix matrix;
        using (predictions)
            matrix = ConfusionMatrix.From(data.Classes, data.Labels.data<long>().ToArray(), predictions.data<long>().ToArray());

        Directory.CreateDirectory(outputDirectory);
        string report = Path.Combine(outputDirectory, ReportFileName);
        string confusionText = Path.Combine(outputDirectory, ConfusionTextFileName);
        string confusionImage = Path.Combine(outputDirectory, ConfusionImageFileName);
        string? curves = history is { Count: > 0 } ? Path.Combine(outputDirectory, CurvesImageFileName) : null;

        var text = new StringBuilder()
            .Append(Invariant($"{modelName} on {data.Name}: {data.Count} images{(testTimeFlip ? ", each averaged with its mirror image" : "")}\n"))
            .Append(Invariant($"test accuracy: {matrix.Accuracy:F4}\n"))
            .Append(Invariant($"test loss: {loss:F4}\n"));
        if (data.Skipped.Count > 0)
        {
            text.Append(Invariant($"left out as unreadable: {data.Skipped.Count} files\n"));
            foreach (var skipped in data.Skipped) text.Append("  ").Append(skipped.File).Append(": ").Append(skipped.Reason).Append('\n');
        }
        text.Append('\n')
            .Append(matrix.Report())
            .Append("\nconfusion matrix (rows: true class, columns: predicted class)\n")
            .Append(matrix.Format());
        WriteText(report, text.ToString());
        WriteText(confusionText, matrix.Format());
        Plots.ConfusionHeatmap(matrix, confusionImage, Invariant($"{modelName} on {data.Name}: accuracy {matrix.Accuracy:F4}"));
        if (curves is not null) Plots.TrainingCurves(history!, curves, $"{modelName}: training curves");
        return new EvaluationResult(matrix, loss, report, confusionText, confusionImage, curves);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void WriteText(string path, string content) =>
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(content)));
}
