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
        var dataset = new Option<string>("--dataset") { Description = $"The data set: {string.Join(", ", DataSets.Names)}.", DefaultValueFactory = _ => "fashion-mnist" };
        var data = CommonOptions.DataFolder();
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
        var erase = new Option<double>("--erase") { Description = "Augment: random erasing, the probability per image of blanking a random rectangle (2-40% of the image; 0: off).", DefaultValueFactory = _ => 0 };
        var ema = new Option<double>("--ema") { Description = "Keep a moving average of the weights with this decay per step (e.g. 0.999; 0: off); validate, evaluate and keep as best the average.", DefaultValueFactory = _ => 0 };
        var precision = new Option<string>("--precision") { Description = "float32, or bfloat16: mixed precision, forward and backward in bfloat16 with float32 weights, updates, average and checkpoints (faster where the CPU has AVX-512 BF16 or AMX, or on recent GPUs).", DefaultValueFactory = _ => "float32" };
        var tta = new Option<bool>("--tta") { Description = "Validate and evaluate on each image and its mirror image (flip test-time augmentation)." };
        var skipCorrupt = CommonOptions.SkipCorrupt();
        var cache = new Option<bool>("--cache") { Description = "Image folders: keep decoded, resized images in memory after the first epoch." };
        var output = new Option<string?>("--out") { Description = "Folder for checkpoints, the CSV log, the report and pictures (default runs/<model>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out (or --from): model, optimizer, schedule, history and options." };
        var from = new Option<string?>("--from") { Description = "With --resume: the checkpoint to continue from." };
        var changeOptions = new Option<bool>("--change-options") { Description = "With --resume: options given that differ from the checkpoint's are changes made on purpose (recorded in the checkpoint), not an error." };
        var noTest = new Option<bool>("--no-test") { Description = "Do not evaluate on the test set after training." };
        var threads = CommonOptions.Threads();
        var device = DeviceOption.Create();
        var command = new ModelCommand("train", "Trains a model on an image data set, saves a checkpoint every epoch, then evaluates it on the test set.")
        {
            dataset, data, epochs, batch, optimizer, lr, momentum, decay, schedule, stepSize, gamma, patience, early, validation,
            seed, flip, crop, erase, fit, smoothing, limit, ema, tta, precision, skipCorrupt, cache, output, resume, from, changeOptions, noTest, threads, device,
        };
        command.SetAction(result => Guard(() =>
        {
            var info = command.Find(result, models);
            var target = DeviceOption.Parse(result, device);
            if (result.GetValue(threads) < 0) throw new BadInputException("--threads must not be negative");
            if (result.GetValue(threads) > 0) torch.set_num_threads(result.GetValue(threads));
            string outDir = result.GetValue(output) ?? Path.Combine("runs", info.Name);
            string? resumeFrom = null;
            if (result.GetValue(resume)) resumeFrom = result.GetValue(from) ?? Path.Combine(outDir, CheckpointPolicy.LastFile);
            else if (result.GetValue(from) is not null) throw new BadInputException("--from needs --resume");
            if (result.GetValue(changeOptions) && resumeFrom is null) throw new BadInputException("--change-options needs --resume");

            // On resume, the checkpoint's options, with the flags given on this command line on top.
            // A PyTorch checkpoint of scripts/train_ddp.py (torchrun) carries the script's options, mapped.
            bool fromPyTorch = resumeFrom is not null && PyTorchCheckpoint.IsPyTorchFile(resumeFrom);
            CheckpointMeta? meta = resumeFrom is null ? null : fromPyTorch ? PyTorchCheckpoint.ReadMeta(resumeFrom, info) : Checkpoint.ReadMeta(resumeFrom);
            bool Given(Option o) => meta is null || result.GetResult(o) is { Implicit: false };
            var options = meta?.Options ?? new TrainOptions();
            if (Given(epochs)) options = options with { Epochs = result.GetValue(epochs) };
            if (Given(batch)) options = options with { BatchSize = result.GetValue(batch) };
            if (Given(optimizer)) options = options with { Optimizer = ParseEnum<OptimizerKind>(result.GetValue(optimizer)!, "--optimizer") };
            if (Given(lr)) options = options with { LearningRate = result.GetValue(lr) };
            if (Given(momentum)) options = options with { Momentum = result.GetValue(momentum) };
            if (Given(decay)) options = options with { WeightDecay = result.GetValue(decay) };
            if (Given(schedule)) options = options with { Schedule = ParseEnum<ScheduleKind>(result.GetValue(schedule)!.Replace("-", ""), "--schedule") };
            if (Given(stepSize)) options = options with { StepSize = result.GetValue(stepSize) };
            if (Given(gamma)) options = options with { Gamma = result.GetValue(gamma) };
            if (Given(patience)) options = options with { PlateauPatience = result.GetValue(patience) };
            if (Given(early)) options = options with { EarlyStoppingPatience = result.GetValue(early) };
            if (Given(validation)) options = options with { ValidationFraction = result.GetValue(validation) };
            if (Given(seed)) options = options with { Seed = result.GetValue(seed) };
            if (Given(flip)) options = options with { Augmentation = options.Augmentation with { HorizontalFlip = result.GetValue(flip) } };
            if (Given(crop)) options = options with { Augmentation = options.Augmentation with { CropPadding = result.GetValue(crop) } };
            if (Given(erase)) options = options with { Augmentation = options.Augmentation with { Erasing = result.GetValue(erase) } };
            if (Given(fit)) options = options with { Fit = ParseEnum<FitMode>(result.GetValue(fit)!, "--fit") };
            if (Given(smoothing)) options = options with { LabelSmoothing = result.GetValue(smoothing) };
            if (Given(limit)) options = options with { Limit = result.GetValue(limit) };
            if (Given(ema)) options = options with { EmaDecay = result.GetValue(ema) };
            if (Given(tta)) options = options with { TestTimeFlip = result.GetValue(tta) };
            if (Given(precision)) options = options with { Precision = ParseEnum<TrainingPrecision>(result.GetValue(precision)!, "--precision") };
            if (options.Validate() is { } problem) throw new BadInputException($"{Flag(problem.Property)} {problem.Message}");

            string dataSetName = meta is not null && !Given(dataset) ? meta.DataSet : result.GetValue(dataset)!.ToLowerInvariant();
            // The spec's initializers draw from torch's generator: the seed fixes the starting weights.
            torch.manual_seed(options.Seed);
            using var module = info.Create();
            var trainer = new Trainer(module, options, target)
            {
                Spec = info,
                DataSetName = dataSetName,
                Checkpoints = new CheckpointPolicy(outDir),
            };
            if (resumeFrom is not null)
            {
                // The whole checkpoint is checked (hash, model, spec, options) before anything is said about resuming.
                var changes = meta!.Options.Differences(options);
                try { trainer.Resume(resumeFrom, result.GetValue(changeOptions) ? changes.Select(c => c.Property) : null); }
                catch (ResumeOptionsException e)
                {
                    throw new BadInputException($"{resumeFrom}: options differ from the checkpoint's: " +
                        string.Join(", ", e.Changes.Select(c => $"{Flag(c.Property)} {c.Now} (checkpoint: {c.Was})")) +
                        "; leave them out to keep the checkpoint's, or add --change-options to change them on purpose");
                }
                catch (ArgumentException e) when (e.Message.Contains("already trained", StringComparison.Ordinal))
                {
                    throw new BadInputException($"{resumeFrom}: already trained for {meta.Epoch} epochs; pass --epochs greater than {meta.Epoch} to go on");
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"resuming {meta.Model} from {resumeFrom} after epoch {meta.Epoch} on {DeviceSelection.Describe(target)} (the checkpoint's options and seed {meta.Options.Seed}; --epochs {options.Epochs}") +
                    (changes.Count > 0 ? $"; changed: {string.Join(", ", changes)})" : ")"));
                if (fromPyTorch)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  a PyTorch checkpoint of scripts/train_ddp.py: weights, SGD momentum buffers, {meta.History.Count} epoch(s) of history and the run's options " +
                        $"(--batch-size {meta.Options.BatchSize}: the torchrun job's global batch, --validation 0, --lr {meta.Options.LearningRate} as the one-cycle peak)"));
            }

            bool test = !result.GetValue(noTest);
            var folderOptions = new ImageFolderOptions { SkipCorrupt = result.GetValue(skipCorrupt), Cache = result.GetValue(cache) };
            using var splits = DataSets.Load(dataSetName, result.GetValue(data), loadTest: test, folderOptions);
            foreach (var set in new[] { splits.Train, splits.Test })
                if (set is { Skipped.Count: > 0 })
                    Console.WriteLine($"{set.Name}: left out {set.Skipped.Count} unreadable files (--skip-corrupt), e.g. {set.Skipped[0].File}: {set.Skipped[0].Reason}");
            var trained = TrainingProgress.Run(observer =>
            {
                trainer.Observer = observer;
                return trainer.Fit(splits.Train);
            });
            Console.WriteLine($"checkpoints: {trained.LastCheckpoint} (last), {trained.BestCheckpoint} (best, epoch {trained.Meta.BestEpoch}); log: {trained.LogFile}");
            if (!test || splits.Test is null)
            {
                if (test) Console.WriteLine($"{dataSetName} has no test set here; evaluate a checkpoint with `evaluate`.");
                return 0;
            }
            return EvaluateCheckpoint(info, trained.BestCheckpoint!, splits.Test, outDir, target, trained.Meta.History);
        }));
        return command;
    }

    /// <summary>The command-line flag of a <see cref="TrainOptions"/> property, for messages.</summary>
    internal static string Flag(string property) => property switch
    {
        nameof(TrainOptions.Epochs) => "--epochs",
        nameof(TrainOptions.BatchSize) => "--batch-size",
        nameof(TrainOptions.Optimizer) => "--optimizer",
        nameof(TrainOptions.LearningRate) => "--lr",
        nameof(TrainOptions.Momentum) => "--momentum",
        nameof(TrainOptions.WeightDecay) => "--weight-decay",
        nameof(TrainOptions.Schedule) => "--schedule",
        nameof(TrainOptions.StepSize) => "--step-size",
        nameof(TrainOptions.Gamma) => "--gamma",
        nameof(TrainOptions.PlateauPatience) => "--plateau-patience",
        nameof(TrainOptions.EarlyStoppingPatience) => "--early-stopping",
        nameof(TrainOptions.ValidationFraction) => "--validation",
        nameof(TrainOptions.Seed) => "--seed",
        nameof(Augmentation.HorizontalFlip) => "--flip",
        nameof(Augmentation.CropPadding) => "--crop-padding",
        nameof(Augmentation.Erasing) => "--erase",
        nameof(TrainOptions.Fit) => "--fit",
        nameof(TrainOptions.LabelSmoothing) => "--label-smoothing",
        nameof(TrainOptions.Limit) => "--limit",
        nameof(TrainOptions.EmaDecay) => "--ema",
        nameof(TrainOptions.TestTimeFlip) => "--tta",
        nameof(TrainOptions.Precision) => "--precision",
        _ => property,
    };

    public static Command Evaluate(IReadOnlyList<ModelInfo> models)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The checkpoint to evaluate (train writes last.ckpt and best.ckpt).", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "The data set (default: the one the checkpoint was trained on)." };
        var data = CommonOptions.DataFolder();
        var output = new Option<string?>("--out") { Description = "Folder for the report and pictures (default: the checkpoint's folder)." };
        var skipCorrupt = CommonOptions.SkipCorrupt();
        var tta = new Option<bool?>("--tta") { Description = "Average each image's logits with its mirror image's (default: as the checkpoint's run validated)." };
        var device = DeviceOption.Create();
        var command = new ModelCommand("evaluate", "Evaluates a checkpoint on a test set: accuracy, per-class report, confusion matrix (text and PNG), training curves (PNG).")
        {
            checkpoint, dataset, data, output, skipCorrupt, tta, device,
        };
        command.SetAction(result => Guard(() =>
        {
            var info = command.Find(result, models);
            var target = DeviceOption.Parse(result, device);
            string path = result.GetValue(checkpoint)!;
            // Not a TorchSpecs checkpoint: a PyTorch checkpoint dict or a weights file (docs/interop.md).
            if (File.Exists(path) && !PredictVerb.IsCheckpoint(path)) return EvaluateWeights.Run(info, path, result.GetValue(dataset), result.GetValue(data), result.GetValue(output));
            var meta = Checkpoint.ReadMeta(path);
            Checkpoint.CheckFits(path, meta, info);
            string name = result.GetValue(dataset) ?? meta.DataSet;
            using var splits = DataSets.Load(name, result.GetValue(data), folder: new ImageFolderOptions { SkipCorrupt = result.GetValue(skipCorrupt) });
            if (splits.Test is null) throw new BadInputException($"{name}: no test set found (an image folder needs a test/ subfolder)");
            string outDir = result.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            return EvaluateCheckpoint(info, path, splits.Test, outDir, target, testTimeFlip: result.GetValue(tta));
        }));
        return command;
    }

    private static int EvaluateCheckpoint(ModelInfo info, string checkpoint, ImageDataSet test, string outDir, torch.Device device,
        IReadOnlyList<EpochRecord>? history = null, bool? testTimeFlip = null)
    {
        using var model = info.Create();
        var meta = Checkpoint.Load(checkpoint, info, model);
        model.to(device);
        if (!meta.Classes.SequenceEqual(test.Classes))
            throw new BadInputException($"{checkpoint}: trained on classes {string.Join(", ", meta.Classes)}; {test.Name} has {string.Join(", ", test.Classes)}");
        var normalization = meta.Normalization ?? throw new BadInputException($"{checkpoint}: trained on data that came normalized (a data loader); evaluate it from C# with the same data");
        var transform = new BatchTransform(info.Input, meta.Options.Fit, normalization);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var evaluation = Evaluation.Run(model, info.Name, test, transform, outDir, history ?? LongestHistory(checkpoint, meta),
            testTimeFlip: testTimeFlip ?? meta.Options.TestTimeFlip, device: device);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"evaluated {checkpoint} (epoch {meta.Epoch}) on {test.Count} {test.Name} images in {clock.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {evaluation.Accuracy:F4}") +
            (testTimeFlip ?? meta.Options.TestTimeFlip ? " (each image averaged with its mirror image)" : ""));
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
        string last = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, CheckpointPolicy.LastFile);
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
        catch (DataNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message} (the folder is --data DIR" +
                (e.Package is { } package ? $"; `sudo apt-get install {package}` installs it)" : ")"));
            return 2;
        }
        catch (Exception e) when (e is BadInputException or UnknownModelException or DataFormatException or CheckpointException
                                   or DeviceSelectionException or ArgumentException)
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
