using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;
using Batches = System.Collections.Generic.IEnumerable<TorchSpecs.Training.Batch>;

namespace TorchSpecs.Training;

/// <summary>What a run is about to do.</summary>
public sealed record TrainingPlan(string Model, int StartEpoch, int Epochs, long StepsPerEpoch, long TrainImages, long ValidationImages, string? OutputDirectory,
    string Device = "cpu", TrainingPrecision Precision = TrainingPrecision.Float32);

/// <summary>Progress within an epoch, after each batch.</summary>
public sealed record BatchProgress(int Epoch, int Epochs, long Step, long Steps, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate, TimeSpan Elapsed,
    TimeSpan DataWait = default);

/// <summary>Receives a run's progress; the command line draws it, tests may count it.</summary>
public interface ITrainingObserver
{
    void RunStarting(TrainingPlan plan);
    void BatchDone(BatchProgress progress);
    void EpochDone(EpochRecord record, bool improved);
    void Message(string text);
}

/// <summary>Where a run writes its checkpoints and log. Without one, a run writes no files.</summary>
/// <param name="Directory">The folder for <c>last.ckpt</c>, <c>best.ckpt</c> and <c>history.csv</c>.</param>
/// <param name="KeepBest">Also keep the epoch with the best validation accuracy as <c>best.ckpt</c>.</param>
public sealed record CheckpointPolicy(string Directory, bool KeepBest = true)
{
    public const string LastFile = "last.ckpt";
    public const string BestFile = "best.ckpt";
    public const string LogFile = "history.csv";
    public string Last => Path.Combine(Directory, LastFile);
    public string Best => Path.Combine(Directory, BestFile);
    public string Log => Path.Combine(Directory, LogFile);
}

/// <summary>The outcome of <see cref="Trainer.Fit(ImageDataSet, ImageDataSet?, CancellationToken)"/>. The model stays the caller's.</summary>
public sealed record TrainingRun(CheckpointMeta Meta, string? LastCheckpoint, string? BestCheckpoint, string? LogFile)
{
    public IReadOnlyList<EpochRecord> History => Meta.History;
    public Normalization? Normalization => Meta.Normalization;
}

/// <summary>Options that differ from a checkpoint's, on a resume that did not name them as changes.</summary>
public sealed class ResumeOptionsException(string message, IReadOnlyList<OptionChange> changes) : Exception(message)
{
    public IReadOnlyList<OptionChange> Changes { get; } = changes;
}

/// <summary>
/// Trains any <c>nn.Module&lt;Tensor, Tensor&gt;</c> (a generated model, or one written by
/// hand) that maps an image batch to logits: cross-entropy, SGD with Nesterov momentum and
/// weight decay or Adam, a per-step or per-epoch learning-rate schedule, an optional validation
/// split, early stopping, weight averaging (EMA) and flip test-time augmentation, on the device
/// the trainer was given. Batches are prepared on a background worker while the step runs.
/// Checkpoints and the CSV log are written only with a <see cref="CheckpointPolicy"/>. With the
/// same seed a run gives the same numbers, and a resumed run continues as the uninterrupted one
/// would have.
/// </summary>
/// <example>
/// <code>
/// using var model = FashionVgg.Create();
/// model.LoadWeights("pretrained.dat");                      // fine-tuning: build, load, train
/// var trainer = new Trainer(model, new TrainOptions { Epochs = 3, LearningRate = 0.01 }, torch.CPU)
/// {
///     Spec = FashionVgg.Info,                                // records the layer table in checkpoints
///     Checkpoints = new CheckpointPolicy("runs/finetune"),   // none: no files are written
/// };
/// TrainingRun run = trainer.Fit(data.Train);
/// </code>
/// </example>
public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private CheckpointMeta? _resumed;
    private string? _resumedFrom;
    private IReadOnlyList<OptionChange> _changes = Array.Empty<OptionChange>();
    private WeightAverage? _average;
    private readonly MixedPrecision? _mixed;

    /// <param name="model">The module to train, in place; it is moved to <paramref name="device"/>.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="device">Where to train (see <see cref="DeviceSelection"/>); the CPU when null.</param>
    public Trainer(nn.Module<Tensor, Tensor> model, TrainOptions options, Device? device = null)
    {
        if (options.Validate() is { } problem) throw new ArgumentException(problem.ToString());
        Options = options;
        Device = device ?? torch.CPU;
        _model = model;
        _model.to(Device);
        if (options.Precision == TrainingPrecision.BFloat16) _mixed = new MixedPrecision(_model);
        _optimizer = CreateOptimizer(_mixed?.Masters ?? _model.parameters(), options);
        if (options.EmaDecay > 0) _average = new WeightAverage(_model, options.EmaDecay);
    }

    public TrainOptions Options { get; }
    public Device Device { get; }
    public nn.Module<Tensor, Tensor> Model => _model;

    /// <summary>
    /// The model's spec (a generated class's <c>Info</c>): gives the model's name and input size,
    /// and its layer table is recorded in checkpoints and checked when one is loaded. Optional.
    /// </summary>
    public ModelInfo? Spec { get; init; }

    /// <summary>The input the module takes (HxWxC), for a module without <see cref="Spec"/>; else the data's own size.</summary>
    public TensorShape? Input { get; init; }

    /// <summary>The name recorded in checkpoints (default: the spec's, else the module's).</summary>
    public string? ModelName { get; init; }

    /// <summary>The data set's name recorded in checkpoints (default: the training set's <see cref="ImageDataSet.Name"/>).</summary>
    public string? DataSetName { get; init; }

    /// <summary>Told about every batch and epoch (a progress display), or null.</summary>
    public ITrainingObserver? Observer { get; set; }

    /// <summary>Where checkpoints and the log go; null writes no files.</summary>
    public CheckpointPolicy? Checkpoints { get; init; }

    /// <summary>
    /// The input normalization to use (for instance the pretrained model's when fine-tuning);
    /// by default it is measured on (up to 10,000 images of) the training split.
    /// </summary>
    public Normalization? Normalization { get; init; }

    /// <summary>Batches prepared ahead of the step (memory: this many batches).</summary>
    public int PrefetchBatches { get; init; } = 2;

    private string Name => ModelName ?? Spec?.Name ?? _model.GetName();

    /// <summary>
    /// Continues from a checkpoint: checks it whole (and against <see cref="Spec"/>), loads the
    /// weights, optimizer state and weight average, and takes its schedule state, history and
    /// best score. <see cref="Options"/> must equal the checkpoint's except Epochs (the total to
    /// reach) and the properties named in <paramref name="allowChanges"/>; any other difference
    /// is a <see cref="ResumeOptionsException"/> naming them. Allowed changes are recorded in the
    /// checkpoints that follow. A PyTorch checkpoint of <c>scripts/train_ddp.py</c> (a torchrun run)
    /// is read by <see cref="PyTorchCheckpoint"/>, which needs <see cref="Spec"/>.
    /// </summary>
    public CheckpointMeta Resume(string checkpoint, IEnumerable<string>? allowChanges = null)
    {
        using var pytorch = PyTorchCheckpoint.IsPyTorchFile(checkpoint)
            ? PyTorchCheckpoint.Read(checkpoint, Spec ?? throw new CheckpointException($"{checkpoint}: a PyTorch checkpoint; resuming from one needs the trainer's Spec, whose rows map its keys"))
            : null;
        var meta = pytorch?.Meta ?? Checkpoint.ReadMeta(checkpoint);
        if (Spec is not null) Checkpoint.CheckFits(checkpoint, meta, Spec);
        else if (meta.Model != Name) throw new CheckpointException($"{checkpoint}: a checkpoint of model {meta.Model}, not {Name}");
        var allowed = new HashSet<string>(allowChanges ?? Array.Empty<string>(), StringComparer.OrdinalIgnoreCase);
        var changes = meta.Options.Differences(Options);
        var refused = changes.Where(c => !allowed.Contains(c.Property)).ToArray();
        if (refused.Length > 0)
            throw new ResumeOptionsException(
                $"{checkpoint}: options differ from the checkpoint's: {string.Join(", ", refused.Select(c => c.ToString()))}; " +
                "keep the checkpoint's values, or name them as changes to make on purpose", refused);
        if (meta.Epoch >= Options.Epochs)
            throw new ArgumentException($"{checkpoint}: already trained for {meta.Epoch} epochs; Epochs must be more than {meta.Epoch} to go on");
        if (pytorch is null) Checkpoint.Load(checkpoint, Spec, _model, _optimizer, Checkpoint.Weights.Training, _average?.Shadow);
        else
        {
            pytorch.LoadInto(_model, _optimizer);
            _average?.Reset(_model);   // the file keeps no average: it starts from the loaded weights
        }
        _model.to(Device);
        _mixed?.TakeFromModel();
        if (_average is not null) _average.Updates = meta.AverageUpdates;
        _resumed = meta;
        _resumedFrom = checkpoint;
        _changes = meta.OptionChanges.Concat(changes.Select(c => c with { AfterEpoch = meta.Epoch })).ToArray();
        return meta;
    }

    /// <summary>
    /// Trains on <paramref name="train"/>. Without <paramref name="validation"/>, a
    /// <see cref="TrainOptions.ValidationFraction"/> share of it is held out (split by the seed).
    /// </summary>
    public TrainingRun Fit(ImageDataSet train, ImageDataSet? validation = null, CancellationToken cancellation = default)
    {
        var options = Options;
        long classes = Spec?.Classes ?? train.Classes.Count;
        if (classes != train.Classes.Count)
            throw new ArgumentException($"{Name} has {classes} outputs but {train.Name} has {train.Classes.Count} classes");
        var resumed = _resumed;
        string dataSetName = DataSetName ?? train.Name;
        if (resumed is not null)
        {
            if (!string.Equals(resumed.DataSet, dataSetName, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException($"{_resumedFrom}: trained on {resumed.DataSet}, not {dataSetName}");
            if (!resumed.Classes.SequenceEqual(train.Classes))
                throw new CheckpointException($"{_resumedFrom}: trained on classes {string.Join(", ", resumed.Classes)}; {train.Name} has {string.Join(", ", train.Classes)}");
        }

        ImageDataSet fit;
        ImageDataSet? held;
        IDisposable? owned = null;
        if (validation is null)
        {
            var (f, v) = Split(train, options);
            fit = f;
            held = v;
            owned = new Disposables(f, v);
        }
        else
        {
            fit = train;
            held = validation;
        }
        using var _ = owned;

        var input = Spec?.Input ?? Input ?? (fit.ImageSize is { } size ? new TensorShape(size.Height, size.Width, fit.Channels)
            : throw new ArgumentException($"{fit.Name}: images have different sizes; give the trainer a Spec or an Input size"));
        var normalization = resumed?.Normalization ?? Normalization ?? BatchTransform.Measure(fit, input, options.Fit);
        var transform = new BatchTransform(input, options.Fit, normalization);
        long fitCount = options.Limit > 0 ? Math.Min(options.Limit, fit.Count) : fit.Count;

        Batches TrainBatches(int epoch) => ImageBatches.Epoch(fit, transform, options.Augmentation, options.BatchSize, shuffle: true,
            EpochSeed(options.Seed, epoch), Device, fitCount);
        Func<int, Batches>? ValidationBatches = held is null ? null : _ => ImageBatches.Epoch(held, transform, null, options.BatchSize * 2, shuffle: false, 0, Device);
        return Run(TrainBatches, fitCount, ValidationBatches, held?.Count ?? 0, dataSetName, train.Classes, normalization, cancellation, input: input);
    }

    /// <summary>
    /// Trains on batches from TorchSharp data loaders (items with "data" [B, C, H, W] and "label"
    /// [B] tensors, already normalized and augmented as the user wants). The loaders' own
    /// shuffling is used; validation is the optional second loader.
    /// </summary>
    public TrainingRun Fit(TorchSharp.Modules.DataLoader train, TorchSharp.Modules.DataLoader? validation, IReadOnlyList<string> classes,
        string dataKey = "data", string labelKey = "label", CancellationToken cancellation = default)
    {
        Batches FromLoader(TorchSharp.Modules.DataLoader loader)
        {
            foreach (var item in loader)
            {
                // The loader disposes its batch when it moves on; the worker runs ahead, so copy.
                var x = ImageBatches.ToDevice(item[dataKey].detach().clone(), Device);
                var y = ImageBatches.ToDevice(item[labelKey].to_type(ScalarType.Int64), Device);
                if (ReferenceEquals(y, item[labelKey])) y = y.clone();
                yield return new Batch(x, y);
            }
        }
        return Run(_ => FromLoader(train), train.Count * Options.BatchSize, validation is null ? null : _ => FromLoader(validation), validation?.Count ?? 0,
            DataSetName ?? "dataloader", classes, null, cancellation, steps: train.Count);
    }

    private TrainingRun Run(Func<int, Batches> trainBatches, long trainCount, Func<int, Batches>? validationBatches, long validationCount,
        string dataSetName, IReadOnlyList<string> classes, Normalization? normalization, CancellationToken cancellation, long steps = 0, TensorShape? input = null)
    {
        var options = Options;
        var resumed = _resumed;
        var schedule = new LearningRateSchedule(options, resumed?.Schedule);
        var history = new List<EpochRecord>(resumed?.History ?? Array.Empty<EpochRecord>());
        int startEpoch = resumed?.Epoch ?? 0;
        double best = resumed?.BestAccuracy ?? double.NegativeInfinity;
        int bestEpoch = resumed?.BestEpoch ?? 0, stale = resumed?.EpochsWithoutImprovement ?? 0;
        var spec = Spec is null ? null : LayerFingerprint.Of(Spec);
        var policy = Checkpoints;
        if (policy is not null)
        {
            Directory.CreateDirectory(policy.Directory);
            if (resumed is not null && policy.KeepBest && Checkpoint.RepairBest(policy.Directory) is { } repaired) Observer?.Message(repaired);
        }
        if (steps == 0) steps = (trainCount + options.BatchSize - 1) / options.BatchSize;
        Observer?.RunStarting(new TrainingPlan(Name, startEpoch, options.Epochs, steps, trainCount, validationCount, policy?.Directory, DeviceSelection.Describe(Device), options.Precision));
        if (resumed?.Stopped == true) Observer?.Message($"the checkpoint's run had stopped early at epoch {startEpoch}; training on as asked");
        foreach (var c in _changes.Where(c => c.AfterEpoch == startEpoch && resumed is not null)) Observer?.Message($"changed on resume: {c}");

        CheckpointMeta Meta(int epoch, bool stopped) => new()
        {
            Model = Name, Input = (Spec?.Input ?? Input ?? input)?.ToString() ?? "", Epoch = epoch, Options = options, DataSet = dataSetName,
            Classes = classes.ToArray(), Normalization = normalization, Schedule = schedule.State, History = history.ToArray(),
            BestAccuracy = best, BestEpoch = bestEpoch, EpochsWithoutImprovement = stale, Stopped = stopped, Spec = spec, OptionChanges = _changes,
            AverageUpdates = _average?.Updates ?? 0,
        };

        var meta = Meta(startEpoch, false);
        var release = new MemoryRelease(MemoryRelease.Interval);
        for (int epoch = startEpoch; epoch < options.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            // Dropout's randomness depends on seed and epoch only (the batches have their own generator).
            torch.manual_seed(options.Seed * 1_000_003 + epoch + 1);
            var (trainLoss, trainAccuracy, seconds, lr, wait, seen) = RunEpoch(trainBatches(epoch), epoch, steps, schedule, cancellation);
            (double Loss, double Accuracy)? val = null;
            if (validationBatches is not null)
                using (_average?.Apply(_model))
                    val = Measure(_model, validationBatches(epoch), options.LabelSmoothing, options.TestTimeFlip);
            schedule.EndEpoch(val?.Loss);
            var record = new EpochRecord(epoch + 1, lr, trainLoss, trainAccuracy, val?.Loss, val?.Accuracy, seen / seconds, seconds, wait);
            history.Add(record);

            double score = val?.Accuracy ?? trainAccuracy;
            bool improved = score > best;
            if (improved) { best = score; bestEpoch = epoch + 1; stale = 0; }
            else stale++;
            bool stopNow = options.EarlyStoppingPatience > 0 && stale >= options.EarlyStoppingPatience && epoch + 1 < options.Epochs;
            meta = Meta(epoch + 1, stopNow);
            if (policy is not null)
            {
                // last.ckpt first, then best.ckpt: a kill between the two leaves a best.ckpt older
                // than last.ckpt's BestEpoch, which the next resume repairs (RepairBest).
                Checkpoint.Save(policy.Last, meta, _model, _optimizer, _average?.Shadow);
                if (policy.KeepBest && (improved || !File.Exists(policy.Best)))
                {
                    if (File.Exists(policy.Best)) TestHooks.Pause("between-last-and-best", policy.Last);
                    Checkpoint.Save(policy.Best, meta, _model, _optimizer, _average?.Shadow);
                }
                AtomicFile.Write(policy.Log, s => s.Write(Encoding.UTF8.GetBytes(FormatLog(history))));
            }
            Observer?.EpochDone(record, improved);
            if (release.Due()) TorchSpecs.Native.MallocTuning.ReleaseFreeMemory();
            if (stopNow)
            {
                Observer?.Message(string.Create(CultureInfo.InvariantCulture,
                    $"early stopping: validation accuracy has not improved for {stale} epochs (best {best:F4} at epoch {bestEpoch})"));
                break;
            }
        }
        // The model ends with the weights it evaluates with: the average when there is one.
        _average?.CopyTo(_model);
        _model.eval();
        return new TrainingRun(meta, policy?.Last, policy is { KeepBest: true } ? policy.Best : policy?.Last, policy?.Log);
    }

    private (double Loss, double Accuracy, double Seconds, double LearningRate, double Wait, long Seen) RunEpoch(
        Batches batches, int epoch, long steps, LearningRateSchedule schedule, CancellationToken cancellation)
    {
        var options = Options;
        _model.train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, lr = 0;
        long correct = 0, seen = 0, step = 0;
        var group = _optimizer.ParamGroups.First();
        using var compute = _mixed?.Compute();
        var masters = _mixed?.Named;
        var pass = new TrainingStep(_model, _optimizer, _mixed);
        using var prefetch = new Prefetcher(batches, PrefetchBatches);
        while (prefetch.TryNext(out var batch))
        {
            using var owned = batch;
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            lr = schedule.At(epoch, (double)step / steps);
            group.LearningRate = lr;
            pass.ZeroGradients();
            var logits = pass.Forward(batch.Images);
            var loss = nn.functional.cross_entropy(logits, batch.Labels, label_smoothing: options.LabelSmoothing);
            loss.backward();
            pass.Update();
            _average?.Update(_model, masters);
            step++;
            long b = batch.Size;
            double batchLoss = loss.item<float>();
            if (double.IsNaN(batchLoss) || double.IsInfinity(batchLoss))
                throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                    $"the loss became {batchLoss} at epoch {epoch + 1}, step {step} (learning rate {lr:G3}); lower the learning rate"));
            lossSum += batchLoss * b;
            correct += logits.argmax(1).eq(batch.Labels).sum().item<long>();
            seen += b;
            Observer?.BatchDone(new BatchProgress(epoch + 1, options.Epochs, step, steps, lossSum / seen, (double)correct / seen,
                seen / clock.Elapsed.TotalSeconds, lr, clock.Elapsed, TimeSpan.FromSeconds(prefetch.WaitSeconds)));
        }
        if (seen == 0) throw new ArgumentException("the training data gave no batches");
        return (lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds, lr, prefetch.WaitSeconds, seen);
    }

    internal static ulong EpochSeed(long seed, int epoch) => unchecked((ulong)(seed * 7_919 + epoch + 1));

    /// <summary>The training and validation parts, split by a permutation from the seed.</summary>
    internal static (ImageDataSet Fit, ImageDataSet? Validation) Split(ImageDataSet train, TrainOptions options)
    {
        long n = train.Count;
        long held = (long)Math.Round(n * options.ValidationFraction);
        if (options.ValidationFraction > 0 && held == 0) held = 1;
        if (held >= n) throw new ArgumentException($"{train.Name}: {n} images are too few for a validation split of {options.ValidationFraction.ToString(CultureInfo.InvariantCulture)}");
        using var generator = new Generator((ulong)options.Seed);
        using var order = torch.randperm(n, generator: generator);
        long fitCount = n - held;
        using var fitIndices = order[..(int)fitCount];
        var fit = train.Subset(fitIndices, train.Name);
        if (held == 0) return (fit, null);
        using var validationIndices = order[(int)(n - held)..];
        return (fit, train.Subset(validationIndices, train.Name + " validation"));
    }

    public static TorchSharp.Modules.OptimizerHelper CreateOptimizer(nn.Module<Tensor, Tensor> model, TrainOptions options) =>
        CreateOptimizer(model.parameters(), options);

    /// <summary>The optimizer the trainer uses for these options, over <paramref name="parameters"/> (with mixed precision: the masters).</summary>
    public static TorchSharp.Modules.OptimizerHelper CreateOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters, TrainOptions options) => options.Optimizer switch
    {
        OptimizerKind.Adam => torch.optim.Adam(parameters, options.LearningRate, weight_decay: options.WeightDecay),
        _ => new SGD(parameters, options.LearningRate, options.Momentum,
            weightDecay: options.WeightDecay, nesterov: options.Nesterov && options.Momentum > 0),
    };

    /// <summary>Loss and accuracy of the model on a data set (eval mode, no gradients), on the model's device.</summary>
    public static (double Loss, double Accuracy) Measure(nn.Module<Tensor, Tensor> model, ImageDataSet data, BatchTransform transform, int batchSize = 256,
        double labelSmoothing = 0, bool testTimeFlip = false, Device? device = null)
    {
        var (predictions, loss) = Predict(model, data, transform, batchSize, labelSmoothing, testTimeFlip, device);
        using (predictions)
        using (var right = predictions.eq(data.Labels).sum())
            return (loss, right.item<long>() / (double)data.Count);
    }

    private static (double Loss, double Accuracy) Measure(nn.Module<Tensor, Tensor> model, Batches batches, double labelSmoothing, bool testTimeFlip)
    {
        bool wasTraining = model.training;
        model.eval();
        double lossSum = 0;
        long right = 0, n = 0;
        using (torch.no_grad())
            foreach (var batch in batches)
            {
                using var owned = batch;
                using var scope = torch.NewDisposeScope();
                var logits = Logits(model, batch.Images, testTimeFlip);
                lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum, label_smoothing: labelSmoothing).item<float>();
                right += logits.argmax(1).eq(batch.Labels).sum().item<long>();
                n += batch.Size;
            }
        if (wasTraining) model.train();
        return (lossSum / n, (double)right / n);
    }

    /// <summary>The logits; with <paramref name="testTimeFlip"/>, the mean of the image's and its mirror image's.</summary>
    public static Tensor Logits(nn.Module<Tensor, Tensor> model, Tensor x, bool testTimeFlip)
    {
        if (!testTimeFlip) return model.call(x);
        using var scope = torch.NewDisposeScope();
        var both = model.call(torch.cat(new[] { x, x.flip(3) }, 0));
        long b = x.shape[0];
        return both.narrow(0, 0, b).add(both.narrow(0, b, b)).div_(2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The predicted class of every image (int64 [N], on the CPU) and the mean cross-entropy, on
    /// <paramref name="device"/> (default: the device of the model's parameters). Leaves the model in eval mode.
    /// </summary>
    public static (Tensor Predictions, double Loss) Predict(nn.Module<Tensor, Tensor> model, ImageDataSet data, BatchTransform transform, int batchSize = 256,
        double labelSmoothing = 0, bool testTimeFlip = false, Device? device = null)
    {
        device ??= DeviceSelection.Of(model);
        bool wasTraining = model.training;
        model.eval();
        var parts = new List<Tensor>();
        double lossSum = 0;
        using (torch.no_grad())
        {
            using var prefetch = new Prefetcher(ImageBatches.Epoch(data, transform, null, batchSize, shuffle: false, 0, device), 2);
            while (prefetch.TryNext(out var batch))
            {
                using var owned = batch;
                using var scope = torch.NewDisposeScope();
                var logits = Logits(model, batch.Images, testTimeFlip);
                lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum, label_smoothing: labelSmoothing).item<float>();
                parts.Add(logits.argmax(1).cpu().MoveToOuterDisposeScope());
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
        var text = new StringBuilder("epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,images_per_s,seconds,data_wait_s\n");
        foreach (var r in history)
            text.Append(string.Join(",",
                r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.LearningRate), F(r.TrainLoss), F(r.TrainAccuracy),
                r.ValidationLoss is { } vl ? F(vl) : "", r.ValidationAccuracy is { } va ? F(va) : "",
                r.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture), r.Seconds.ToString("F2", CultureInfo.InvariantCulture),
                r.DataWaitSeconds.ToString("F2", CultureInfo.InvariantCulture))).Append('\n');
        return text.ToString();

        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
    }

    private sealed class Disposables(params IDisposable?[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item?.Dispose();
        }
    }
}

/// <summary>
/// When a run hands its free heap pages back to the system (<see cref="TorchSpecs.Native.MallocTuning.ReleaseFreeMemory"/>,
/// at an epoch's end): not before <see cref="Interval"/> has passed since the last time. The step
/// after a release faults a step's worth of activations back in (AlexNet at batch 32: half the
/// page faults of a 6-batch epoch); once a minute that costs well under 1% of the run, and it
/// still keeps a long run's memory from creeping up.
/// </summary>
internal sealed class MemoryRelease
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly TimeSpan _interval;
    private readonly Func<TimeSpan> _clock;
    private TimeSpan _last;

    /// <param name="interval">The least time between two releases.</param>
    /// <param name="clock">Time since some start (a stopwatch started now when null).</param>
    public MemoryRelease(TimeSpan interval, Func<TimeSpan>? clock = null)
    {
        _interval = interval;
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }
        _clock = clock;
        _last = clock();
    }

    /// <summary>True, and the interval starts again, when the last release (or the start) is at least the interval ago.</summary>
    public bool Due()
    {
        var now = _clock();
        if (now - _last < _interval) return false;
        _last = now;
        return true;
    }
}

/// <summary>The loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// An exponential moving average of a module's parameters and floating-point buffers (batch
/// norm's running statistics), updated after every step with the decay warmed up as
/// min(decay, (1 + n) / (10 + n)).
/// </summary>
internal sealed class WeightAverage
{
    private readonly double _decay;

    public WeightAverage(nn.Module model, double decay)
    {
        _decay = decay;
        Shadow = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in model.state_dict())
            Shadow[key] = t.detach().clone();
    }

    public Dictionary<string, Tensor> Shadow { get; }

    /// <summary>Makes the average the model's current weights.</summary>
    public void Reset(nn.Module model)
    {
        using var _ = torch.no_grad();
        foreach (var (key, t) in model.state_dict()) Shadow[key].copy_(t);
    }

    /// <summary>Steps averaged so far (the decay's warm-up depends on it; saved in checkpoints).</summary>
    public long Updates { get; set; }

    /// <param name="model">The module after its step.</param>
    /// <param name="weights">The float32 weights by name where the module holds rounded copies (mixed precision), or null.</param>
    public void Update(nn.Module model, IReadOnlyDictionary<string, Tensor>? weights = null)
    {
        double d = Math.Min(_decay, (1.0 + Updates) / (10.0 + Updates));
        Updates++;
        using var _ = torch.no_grad();
        foreach (var (key, value) in model.state_dict())
        {
            var t = weights is not null && weights.TryGetValue(key, out var w) ? w : value;
            var s = Shadow[key];
            if (t.is_floating_point()) s.mul_(d).add_(t, alpha: 1 - d);
            else s.copy_(t);
        }
    }

    public void CopyTo(nn.Module model)
    {
        using var _ = torch.no_grad();
        foreach (var (key, t) in model.state_dict()) t.copy_(Shadow[key]);
    }

    /// <summary>Puts the average into the model until disposed, then the trained weights back.</summary>
    public IDisposable Apply(nn.Module model)
    {
        var saved = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        CopyTo(model);
        return new Restore(model, saved);
    }

    private sealed class Restore(nn.Module model, Dictionary<string, Tensor> saved) : IDisposable
    {
        public void Dispose()
        {
            using (torch.no_grad())
                foreach (var (key, t) in model.state_dict()) t.copy_(saved[key]);
            foreach (var t in saved.Values) t.Dispose();
        }
    }
}
