using System.Globalization;
using TorchSpecs.Data;
using TorchSpecs.Metrics;
using TorchSpecs.Training;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>evaluate MODEL --checkpoint F</c> for a weights file that is not a TorchSpecs training
/// checkpoint: a PyTorch checkpoint dict (scripts/train_ddp.py writes one: state dict, classes,
/// normalization, data set), .safetensors or TorchSharp's format. Same report as for a checkpoint.
/// </summary>
internal static class EvaluateWeights
{
    public static int Run(ModelInfo info, string path, string? dataSet, string? data, string? outDir) => Cli.Guard(() =>
    {
        var loaded = PredictVerb.LoadWeights(info, path);
        using var module = loaded.Module!;
        string name = dataSet ?? loaded.DataSet
            ?? throw new CliException($"{path}: the file does not say which data set it was trained on; pass --dataset");
        using var splits = DataSets.Load(name, data);
        if (splits.Test is null) throw new CliException($"{name}: no test set found (an image folder needs a test/ subfolder)");
        if (loaded.Classes is { } classes && !classes.SequenceEqual(splits.Test.Classes))
            throw new CliException($"{path}: trained on classes {string.Join(", ", classes)}; {splits.Test.Name} has {string.Join(", ", splits.Test.Classes)}");
        var normalization = loaded.Normalization ?? BatchTransform.Measure(splits.Train, info.Input, FitMode.Resize);
        if (loaded.Normalization is null) Console.Error.WriteLine($"note: {Path.GetFileName(path)} carries no normalization; using the training set's");
        var transform = new BatchTransform(info.Input, loaded.Fit ?? FitMode.Resize, normalization);
        string output = outDir ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var evaluation = Evaluation.Run(module, info.Name, splits.Test, transform, output, Array.Empty<EpochRecord>());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evaluated {path} on {splits.Test.Count} {splits.Test.Name} images in {clock.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {evaluation.Accuracy:F4}"));
        Console.WriteLine($"report: {evaluation.ReportFile}");
        Console.WriteLine($"confusion matrix: {evaluation.ConfusionImage} (text: {evaluation.ConfusionTextFile})");
        return 0;
    });
}
