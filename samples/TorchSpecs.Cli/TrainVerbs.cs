using System.CommandLine;
using System.Globalization;
using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Metrics;
using TorchSpecs.Training;

namespace TorchSpecs.Cli;

/// <summary>The train and evaluate verbs: 0 ok, 1 failure, 2 bad input (data, checkpoint, options).</summary>
internal static class TrainVerbs
{
    public static Command Train(IReadOnlyList<ModelInfo> models)
    {
        var defaults = new TrainOptions();
        var model = new Argument<string>("model") { Description = "The model's name (see list)." };
        var dataset = new Option<string>("--dataset") { Description = $"The data set: {string.Join(", ", DataSets.Names)}.", DefaultValueFactory = _ => "fashion-mnist" };
        var data = new Option<string?>("--data") { Description = $"The data set's folder (fashion-mnist: {DataSets.FashionMnistDirectory})." };
        var epochs = new Option<int>("--epochs") { Description = "Total epochs (with --resume: the total to reach).", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (momentum, weight decay) or adam.", DefaultValueFactory = _ => "sgd" };
        var lr = new Option<double>("--lr") { Description = "Learning rate (the peak of one-cycle).", DefaultValueFactory = _ => defaults.LearningRate };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum (Nesterov).", DefaultValueFactory = _ => defaults.Momentum };
        var decay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var schedule = new Option<string>("--schedule") { Description = "onecycle, cosine, step, plateau or constant.", DefaultValueFactory = _ => "onecycle" };
        var stepSize = new Option<int>("--step-size") { Description = "step schedule: epochs between cuts.", DefaultValueFactory = _ => defaults.StepSize };
        var gamma = new Option<double>("--gamma") { Description = "step schedule: factor per cut.", DefaultValueFactory = _ => defaults.Gamma };
        var patience = new Option<int>("--plateau-patience") { Description = "plateau schedule: epochs without a better validation loss before a cut (x0.1).", DefaultValueFactory = _ => defaults.PlateauPatience };
        var early = new Option<int>("--early-stopping") { Description = "Stop after this many epochs without a better validation accuracy (0: off).", DefaultValueFactory = _ => 0 };
        var validation = new Option<double>("--validation") { Description = "Share of the training set held out for validation.", DefaultValueFactory = _ => defaults.ValidationFraction };
        var seed = new Option<long>("--seed") { Description = "Seed for weights, split, shuffling, augmentation, dropout.", DefaultValueFactory = _ => defaults.Seed };
        var flip = new Option<bool>("--flip") { Description = "Augment: random horizontal flips." };
        var crop = new Option<int>("--crop-padding") { Description = "Augment: zero-pad by N pixels and crop back at random (0: off).", DefaultValueFactory = _ => 0 };
        var fit = new Option<string>("--fit") { Description = "Images of another size than the model's input: resize (bilinear) or pad (smaller ones, centred).", DefaultValueFactory = _ => "resize" };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing of the cross-entropy.", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Train on the first N images only (0: all); for quick trials.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Folder for checkpoints, the CSV log, the report and pictures (default runs/<model>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out (or --from): model, optimizer, schedule and history." };
        var from = new Option<string?>("--from") { Description = "With --resume: the checkpoint to continue from." };
        var noTest = new Option<bool>("--no-test") { Description = "Do not evaluate on the test set after training." };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0: one per core).", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Trains a model on an image data set, saves a checkpoint every epoch, then evaluates it on the test set.")
        {
            model, dataset, data, epochs, batch, optimizer, lr, momentum, decay, schedule, stepSize, gamma, patience, early, validation,
            seed, flip, crop, fit, smoothing, limit, output, resume, from, noTest, threads,
        };
        command.SetAction(result => Guard(() =>
        {
            var info = ModelLookup.Find(models, result.GetValue(model)!);
            var options = new TrainOptions
            {
                Epochs = result.GetValue(epochs), BatchSize = result.GetValue(batch),
                Optimizer = ParseEnum<OptimizerKind>(result.GetValue(optimizer)!, "--optimizer"),
                LearningRate = result.GetValue(lr), Momentum = result.GetValue(momentum), WeightDecay = result.GetValue(decay),
                Schedule = ParseEnum<ScheduleKind>(result.GetValue(schedule)!.Replace("-", ""), "--schedule"),
                StepSize = result.GetValue(stepSize), Gamma = result.GetValue(gamma), PlateauPatience = result.GetValue(patience),
                EarlyStoppingPatience = result.GetValue(early), ValidationFraction = result.GetValue(validation), Seed = result.GetValue(seed),
                Augmentation = new Augmentation(result.GetValue(flip), result.GetValue(crop)),
                Fit = ParseEnum<FitMode>(result.GetValue(fit)!, "--fit"), LabelSmoothing = result.GetValue(smoothing), Limit = result.GetValue(limit),
            };
            if (options.Validate() is { } problem) throw new BadInputException(problem);
            if (result.GetValue(threads) < 0) throw new BadInputException("--threads must not be negative");
            if (result.GetValue(threads) > 0) torch.set_num_threads(result.GetValue(threads));
            string outDir = result.GetValue(output) ?? Path.Combine("runs", info.Name);
            string? resumeFrom = null;
            if (result.GetValue(resume)) resumeFrom = result.GetValue(from) ?? Path.Combine(outDir, Trainer.LastFile);
            else if (result.GetValue(from) is not null) throw new BadInputException("--from needs --resume");
            string dataSetName = result.GetValue(dataset)!.ToLowerInvariant();
            if (resumeFrom is not null)
            {
                var meta = Checkpoint.ReadMeta(resumeFrom);
                if (meta.Epoch >= options.Epochs)
                    throw new BadInputException($"{resumeFrom}: already trained for {meta.Epoch} epochs; pass --epochs greater than {meta.Epoch} to go on");
                Console.WriteLine($"resuming {meta.Model} from {resumeFrom} after epoch {meta.Epoch} (its options and seed {meta.Options.Seed} are kept; --epochs {options.Epochs})");
            }

            bool test = !result.GetValue(noTest);
            using var splits = DataSets.Load(dataSetName, result.GetValue(data), loadTest: test);
            using var trained = TrainingProgress.Run(observer =>
                Trainer.Train(info, splits.Train, dataSetName, options, outDir, resumeFrom, observer));
            Console.WriteLine($"checkpoints: {trained.LastCheckpoint} (last), {trained.BestCheckpoint} (best, epoch {trained.Meta.BestEpoch}); log: {trained.LogFile}");
            if (!test || splits.Test is null)
            {
                if (test) Console.WriteLine($"{dataSetName} has no test set here; evaluate a checkpoint with `evaluate`.");
                return 0;
            }
            return EvaluateCheckpoint(info, trained.BestCheckpoint, splits.Test, outDir, trained.Meta.History);
        }));
        return command;
    }

    public static Command Evaluate(IReadOnlyList<ModelInfo> models)
    {
        var model = new Argument<string>("model") { Description = "The model's name (see list)." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "The checkpoint to evaluate (train writes last.ckpt and best.ckpt).", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "The data set (default: the one the checkpoint was trained on)." };
        var data = new Option<string?>("--data") { Description = "The data set's folder." };
        var output = new Option<string?>("--out") { Description = "Folder for the report and pictures (default: the checkpoint's folder)." };
        var command = new Command("evaluate", "Evaluates a checkpoint on a test set: accuracy, per-class report, confusion matrix (text and PNG), training curves (PNG).")
        {
            model, checkpoint, dataset, data, output,
        };
        command.SetAction(result => Guard(() =>
        {
            var info = ModelLookup.Find(models, result.GetValue(model)!);
            string path = result.GetValue(checkpoint)!;
            // Not a TorchSpecs checkpoint: a PyTorch checkpoint dict or a weights file (docs/interop.md).
            if (File.Exists(path) && !PredictVerb.IsCheckpoint(path)) return EvaluateWeights.Run(info, path, result.GetValue(dataset), result.GetValue(data), result.GetValue(output));
            var meta = Checkpoint.ReadMeta(path);
            string name = result.GetValue(dataset) ?? meta.DataSet;
            using var splits = DataSets.Load(name, result.GetValue(data));
            if (splits.Test is null) throw new BadInputException($"{name}: no test set found (an image folder needs a test/ subfolder)");
            string outDir = result.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            return EvaluateCheckpoint(info, path, splits.Test, outDir);
        }));
        return command;
    }

    private static int EvaluateCheckpoint(ModelInfo info, string checkpoint, ImageDataSet test, string outDir, IReadOnlyList<EpochRecord>? history = null)
    {
        using var model = info.Create();
        var meta = Checkpoint.Load(checkpoint, info, model);
        if (!meta.Classes.SequenceEqual(test.Classes))
            throw new BadInputException($"{checkpoint}: trained on classes {string.Join(", ", meta.Classes)}; {test.Name} has {string.Join(", ", test.Classes)}");
        var transform = new BatchTransform(info.Input, meta.Options.Fit, meta.Normalization);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var evaluation = Evaluation.Run(model, info.Name, test, transform, outDir, history ?? LongestHistory(checkpoint, meta));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"evaluated {checkpoint} (epoch {meta.Epoch}) on {test.Count} {test.Name} images in {clock.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {evaluation.Accuracy:F4}"));
        Console.WriteLine($"report: {evaluation.ReportFile}");
        Console.WriteLine($"confusion matrix: {evaluation.ConfusionImage} (text: {evaluation.ConfusionTextFile})");
        if (evaluation.CurvesImage is not null) Console.WriteLine($"training curves: {evaluation.CurvesImage}");
        return 0;
    }

    /// <summary>
    /// The curves show the whole run: best.ckpt's history stops at its epoch, so a last.ckpt of
    /// the same run beside it, with a longer history, is used when there is one.
    /// </summary>
    private static IReadOnlyList<EpochRecord> LongestHistory(string checkpoint, CheckpointMeta meta)
    {
        string last = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, Trainer.LastFile);
        if (!File.Exists(last) || Path.GetFullPath(last) == Path.GetFullPath(checkpoint)) return meta.History;
        try
        {
            var other = Checkpoint.ReadMeta(last);
            bool sameRun = other.Model == meta.Model && other.History.Count > meta.History.Count
                && other.History.Take(meta.History.Count).SequenceEqual(meta.History);
            return sameRun ? other.History : meta.History;
        }
        catch (CheckpointException)
        {
            return meta.History;
        }
    }

    private static T ParseEnum<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && !int.TryParse(text, out _)
            ? value
            : throw new BadInputException($"{option}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    /// <summary>Runs a verb; bad input is one line on stderr and exit code 2, other failures exit code 1.</summary>
    private static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is BadInputException or UnknownModelException or DataNotFoundException or DataFormatException or CheckpointException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (TrainingDivergedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private sealed class BadInputException(string message) : Exception(message);
}
