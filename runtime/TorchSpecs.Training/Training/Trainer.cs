using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>What a run is about to do.</summary>
public sealed record TrainingPlan(string Model, int StartEpoch, int Epochs, long StepsPerEpoch, long TrainImages, long ValidationImages, string OutputDirectory);

/// <summary>Progress within an epoch, after each batch.</summary>
public sealed record BatchProgress(int Epoch, int Epochs, long Step, long Steps, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate, TimeSpan Elapsed);

/// <summary>Receives a run's progress; the command line draws it, tests may count it.</summary>
public interface ITrainingObserver
{
    void RunStarting(TrainingPlan plan);
    void BatchDone(BatchProgress progress);
    void EpochDone(EpochRecord record, bool improved);
    void Message(string text);
}

/// <summary>The outcome of <see cref="Trainer.Train"/>.</summary>
public sealed class TrainResult(nn.Module<Tensor, Tensor> model, CheckpointMeta meta, string lastCheckpoint, string bestCheckpoint, string logFile) : IDisposable
{
    /// <summary>The model as the last epoch left it (in eval mode).</summary>
    public nn.Module<Tensor, Tensor> Model { get; } = model;
    public CheckpointMeta Meta { get; } = meta;
    public string LastCheckpoint { get; } = lastCheckpoint;
    /// <summary>The epoch with the best validation accuracy (the last one without validation).</summary>
    public string BestCheckpoint { get; } = bestCheckpoint;
    public string LogFile { get; } = logFile;
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Trains a generated model on an image data set: cross-entropy on forward's logits (a spec's
/// final softmax row is not part of forward), SGD with momentum and weight decay or Adam, a
/// per-step or per-epoch learning-rate schedule, optional validation split and early stopping,
/// a checkpoint after every epoch (last.ckpt, and best.ckpt when validation accuracy improves),
/// and a CSV log (history.csv). With the same seed, a run gives the same numbers, and a
/// resumed run continues as the uninterrupted one would have.
/// </summary>
public static class Trainer
{
    public const string LastFile = "last.ckpt";
    public const string BestFile = "best.ckpt";
    public const string LogFileName = "history.csv";

    /// <param name="info">The model to train; its spec's initializers set the starting weights.</param>
    /// <param name="train">The training images; the validation split is taken from them.</param>
    /// <param name="dataSetName">Recorded in checkpoints.</param>
    /// <param name="options">The run; with <paramref name="resume"/>, only its Epochs is used.</param>
    /// <param name="outputDirectory">Where checkpoints and the log go.</param>
    /// <param name="resume">A checkpoint to continue from (model, optimizer, schedule, history), or null.</param>
    /// <param name="observer">Told about every batch and epoch, or null.</param>
    /// <param name="cancellation">Stops the run between batches.</param>
    public static TrainResult Train(ModelInfo info, ImageDataSet train, string dataSetName, TrainOptions options, string outputDirectory,
        string? resume = null, ITrainingObserver? observer = null, CancellationToken cancellation = default)
    {
        CheckpointMeta? resumed = resume is null ? null : Checkpoint.ReadMeta(resume);
        if (resumed is not null)
        {
            if (resumed.Model != info.Name) throw new CheckpointException($"{resume}: a checkpoint of model {resumed.Model}, not {info.Name}");
            if (!string.Equals(resumed.DataSet, dataSetName, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException($"{resume}: trained on {resumed.DataSet}, not {dataSetName}");
            options = resumed.Options with { Epochs = options.Epochs };
        }
        if (options.Validate() is { } problem) throw new ArgumentException(problem);
        if (info.Classes != train.Classes.Count)
            throw new ArgumentException($"{info.Name} has {info.Classes} outputs but {train.Name} has {train.Classes.Count} classes");

        // The split and the starting weights depend on the seed only.
        torch.manual_seed(options.Seed);
        var (fit, validation) = Split(train, options);
        using var fitDisposer = fit;
        using var validationDisposer = validation;

        var model = info.Create();
        var optimizer = CreateOptimizer(model, options);
        var normalization = resumed?.Normalization ?? BatchTransform.Measure(fit, info.Input, options.Fit);
        var transform = new BatchTransform(info.Input, options.Fit, normalization);
        var schedule = new LearningRateSchedule(options, resumed?.Schedule);
        var history = new List<EpochRecord>(resumed?.History ?? Array.Empty<EpochRecord>());
        int startEpoch = resumed?.Epoch ?? 0;
        double best = resumed?.BestAccuracy ?? double.NegativeInfinity;
        int bestEpoch = resumed?.BestEpoch ?? 0, stale = resumed?.EpochsWithoutImprovement ?? 0;
        bool stopped = resumed?.Stopped ?? false;
        if (resume is not null) Checkpoint.Load(resume, info, model, optimizer);

        Directory.CreateDirectory(outputDirectory);
        string last = Path.Combine(outputDirectory, LastFile), bestPath = Path.Combine(outputDirectory, BestFile);
        string log = Path.Combine(outputDirectory, LogFileName);
        long steps = (fit.Count + options.BatchSize - 1) / options.BatchSize;
        observer?.RunStarting(new TrainingPlan(info.Name, startEpoch, options.Epochs, steps, fit.Count, validation?.Count ?? 0, outputDirectory));
        if (stopped) observer?.Message($"the checkpoint's run had stopped early at epoch {startEpoch}; training on as asked");

        CheckpointMeta meta = Meta(info, startEpoch, options, dataSetName, train.Classes, normalization, schedule.State, history, best, bestEpoch, stale, false);
        for (int epoch = startEpoch; epoch < options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            // Each epoch's randomness (shuffle, augmentation, dropout) depends on seed and epoch only.
            torch.manual_seed(options.Seed * 1_000_003 + epoch + 1);
            var (trainLoss, trainAccuracy, seconds, lr) = RunEpoch(model, optimizer, fit, transform, options, schedule, epoch, steps, observer, cancellation);
            (double Loss, double Accuracy)? val = validation is null ? null : Measure(model, validation, transform, options.BatchSize * 2, options.LabelSmoothing);
            schedule.EndEpoch(val?.Loss);
            var record = new EpochRecord(epoch + 1, lr, trainLoss, trainAccuracy, val?.Loss, val?.Accuracy, fit.Count / seconds, seconds);
            history.Add(record);

            double score = val?.Accuracy ?? trainAccuracy;
            bool improved = score > best;
            if (improved) { best = score; bestEpoch = epoch + 1; stale = 0; }
            else stale++;
            bool stopNow = options.EarlyStoppingPatience > 0 && stale >= options.EarlyStoppingPatience && epoch + 1 < options.Epochs;
            meta = Meta(info, epoch + 1, options, dataSetName, train.Classes, normalization, schedule.State, history, best, bestEpoch, stale, stopNow);
            Checkpoint.Save(last, meta, model, optimizer);
            if (improved || !File.Exists(bestPath)) File.Copy(last, bestPath + ".copying", overwrite: true);
            if (improved || !File.Exists(bestPath)) File.Move(bestPath + ".copying", bestPath, overwrite: true);
            WriteLog(log, history);
            observer?.EpochDone(record, improved);
            if (stopNow)
            {
                observer?.Message($"early stopping: validation accuracy has not improved for {stale} epochs (best {best:F4} at epoch {bestEpoch})");
                break;
            }
        }
        model.eval();
        return new TrainResult(model, meta, last, bestPath, log);
    }

    private static CheckpointMeta Meta(ModelInfo info, int epoch, TrainOptions options, string dataSet, IReadOnlyList<string> classes,
        Normalization normalization, ScheduleState schedule, List<EpochRecord> history, double best, int bestEpoch, int stale, bool stopped) => new()
    {
        Model = info.Name, Input = info.Input.ToString(), Epoch = epoch, Options = options, DataSet = dataSet,
        Classes = classes.ToArray(), Normalization = normalization, Schedule = schedule, History = history.ToArray(),
        BestAccuracy = best, BestEpoch = bestEpoch, EpochsWithoutImprovement = stale, Stopped = stopped,
    };

    /// <summary>The training and validation parts, split by a permutation from the seed.</summary>
    private static (ImageDataSet Fit, ImageDataSet? Validation) Split(ImageDataSet train, TrainOptions options)
    {
        long n = train.Count;
        long held = (long)Math.Round(n * options.ValidationFraction);
        if (options.ValidationFraction > 0 && held == 0) held = 1;
        if (held >= n) throw new ArgumentException($"{train.Name}: {n} images are too few for a validation split of {options.ValidationFraction}");
        using var generator = new Generator((ulong)options.Seed);
        using var order = torch.randperm(n, generator: generator);
        long fitCount = n - held;
        if (options.Limit > 0) fitCount = Math.Min(fitCount, options.Limit);
        using var fitIndices = order[..(int)fitCount];
        var fit = train.Subset(fitIndices, train.Name);
        if (held == 0) return (fit, null);
        using var validationIndices = order[(int)(n - held)..];
        return (fit, train.Subset(validationIndices, train.Name + " validation"));
    }

    public static TorchSharp.Modules.OptimizerHelper CreateOptimizer(nn.Module<Tensor, Tensor> model, TrainOptions options) => options.Optimizer switch
    {
        OptimizerKind.Adam => torch.optim.Adam(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay),
        _ => torch.optim.SGD(model.parameters(), learningRate: options.LearningRate, momentum: options.Momentum,
            weight_decay: options.WeightDecay, nesterov: options.Nesterov && options.Momentum > 0),
    };

    private static (double Loss, double Accuracy, double Seconds, double LearningRate) RunEpoch(
        nn.Module<Tensor, Tensor> model, TorchSharp.Modules.OptimizerHelper optimizer, ImageDataSet fit, BatchTransform transform, TrainOptions options,
        LearningRateSchedule schedule, int epoch, long steps, ITrainingObserver? observer, CancellationToken cancellation)
    {
        model.train();
        using var order = torch.randperm(fit.Count);
        var clock = Stopwatch.StartNew();
        double lossSum = 0, lr = 0;
        long correct = 0, seen = 0;
        var group = optimizer.ParamGroups.First();
        for (long step = 0; step < steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            long start = step * options.BatchSize, end = Math.Min(fit.Count, start + options.BatchSize);
            var indices = order.narrow(0, start, end - start);
            var x = transform.Apply(fit, indices, options.Augmentation);
            var y = fit.Labels.index_select(0, indices);
            lr = schedule.At(epoch, (double)step / steps);
            group.LearningRate = lr;
            optimizer.zero_grad();
            var logits = model.call(x);
            var loss = nn.functional.cross_entropy(logits, y, label_smoothing: options.LabelSmoothing);
            loss.backward();
            optimizer.step();
            long b = end - start;
            double batchLoss = loss.item<float>();
            if (double.IsNaN(batchLoss) || double.IsInfinity(batchLoss))
                throw new TrainingDivergedException($"the loss became {batchLoss} at epoch {epoch + 1}, step {step + 1} (learning rate {lr:G3}); lower --lr");
            lossSum += batchLoss * b;
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += b;
            observer?.BatchDone(new BatchProgress(epoch + 1, options.Epochs, step + 1, steps, lossSum / seen, (double)correct / seen,
                seen / clock.Elapsed.TotalSeconds, lr, clock.Elapsed));
        }
        return (lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds, lr);
    }

    /// <summary>Loss and accuracy of the model on a data set (eval mode, no gradients).</summary>
    public static (double Loss, double Accuracy) Measure(nn.Module<Tensor, Tensor> model, ImageDataSet data, BatchTransform transform, int batchSize = 256, double labelSmoothing = 0)
    {
        var (predictions, loss) = Predict(model, data, transform, batchSize, labelSmoothing);
        using (predictions)
        using (var right = predictions.eq(data.Labels).sum())
            return (loss, right.item<long>() / (double)data.Count);
    }

    /// <summary>The predicted class of every image (int64 [N]) and the mean cross-entropy. Leaves the model in eval mode.</summary>
    public static (Tensor Predictions, double Loss) Predict(nn.Module<Tensor, Tensor> model, ImageDataSet data, BatchTransform transform, int batchSize = 256, double labelSmoothing = 0)
    {
        bool wasTraining = model.training;
        model.eval();
        var parts = new List<Tensor>();
        double lossSum = 0;
        using (torch.no_grad())
        {
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                using var indices = torch.arange(start, Math.Min(data.Count, start + batchSize), dtype: ScalarType.Int64);
                var logits = model.call(transform.Apply(data, indices));
                var y = data.Labels.index_select(0, indices);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum, label_smoothing: labelSmoothing).item<float>();
                parts.Add(logits.argmax(1).MoveToOuterDisposeScope());
            }
        }
        if (wasTraining) model.train();
        var all = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return (all, lossSum / data.Count);
    }

    /// <summary>The CSV log: one row per epoch.</summary>
    public static string FormatLog(IEnumerable<EpochRecord> history)
    {
        var text = new StringBuilder("epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,images_per_s,seconds\n");
        foreach (var r in history)
            text.Append(string.Join(",",
                r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.LearningRate), F(r.TrainLoss), F(r.TrainAccuracy),
                r.ValidationLoss is { } vl ? F(vl) : "", r.ValidationAccuracy is { } va ? F(va) : "",
                r.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture), r.Seconds.ToString("F2", CultureInfo.InvariantCulture))).Append('\n');
        return text.ToString();

        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }

    private static void WriteLog(string path, IEnumerable<EpochRecord> history) =>
        AtomicFile.Write(path, s => s.Write(Encoding.UTF8.GetBytes(FormatLog(history))));
}

/// <summary>The loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
