using System.Globalization;
using System.Text.Json.Serialization;
using TorchSpecs.Data;

namespace TorchSpecs.Training;

[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind { Sgd, Adam }

/// <summary>How the learning rate moves over a run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>Linear warm-up from lr/25 to lr over the first 30% of steps, then cosine down to lr/1e4, per step.</summary>
    OneCycle,
    /// <summary>Cosine from lr down to 0 over the run, per step.</summary>
    Cosine,
    /// <summary>lr times gamma every StepSize epochs.</summary>
    Step,
    /// <summary>lr times PlateauFactor when the validation loss has not improved for PlateauPatience epochs.</summary>
    Plateau,
    /// <summary>lr throughout.</summary>
    Constant,
}

/// <summary>Everything that decides a training run. Saved in every checkpoint.</summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    /// <summary>The peak learning rate (one-cycle), or the starting one.</summary>
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; } = true;
    /// <summary>L2 weight decay; the seed models' Keras regularizer is 5e-4.</summary>
    public double WeightDecay { get; init; } = 5e-4;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.OneCycle;
    public int StepSize { get; init; } = 10;
    public double Gamma { get; init; } = 0.1;
    public int PlateauPatience { get; init; } = 2;
    public double PlateauFactor { get; init; } = 0.1;
    /// <summary>Stop when validation accuracy has not improved for this many epochs; 0 is off.</summary>
    public int EarlyStoppingPatience { get; init; }
    /// <summary>The share of the training set held out for validation (0 for none).</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Seeds the initial weights, the validation split, shuffling, augmentation and dropout.</summary>
    public long Seed { get; init; } = 42;
    public double LabelSmoothing { get; init; }
    public FitMode Fit { get; init; } = FitMode.Resize;
    public Augmentation Augmentation { get; init; } = Augmentation.None;
    /// <summary>Limits training to the first N images of the set (after the validation split); 0 is all.</summary>
    public int Limit { get; init; }
    /// <summary>
    /// Keep an exponential moving average of the weights (decay per step, e.g. 0.999; 0 is off)
    /// and validate, evaluate and save as best the averaged weights. The decay is warmed up as
    /// min(decay, (1 + step) / (10 + step)).
    /// </summary>
    public double EmaDecay { get; init; }
    /// <summary>Validate and evaluate on each image and its mirror image, averaging the logits (flip test-time augmentation).</summary>
    public bool TestTimeFlip { get; init; }
    /// <summary>The number format of the training step (see <see cref="TrainingPrecision"/>).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;

    /// <summary>The first problem with these options (naming the property), or null.</summary>
    public OptionsProblem? Validate()
    {
        if (Epochs < 1) return new(nameof(Epochs), "must be at least 1");
        if (BatchSize < 1) return new(nameof(BatchSize), "must be at least 1");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) return new(nameof(LearningRate), "must be positive");
        if (Momentum < 0 || Momentum >= 1) return new(nameof(Momentum), "must be in [0, 1)");
        if (WeightDecay < 0) return new(nameof(WeightDecay), "must not be negative");
        if (ValidationFraction < 0 || ValidationFraction >= 1) return new(nameof(ValidationFraction), "must be in [0, 1)");
        if (StepSize < 1) return new(nameof(StepSize), "must be at least 1");
        if (!(Gamma > 0) || Gamma > 1) return new(nameof(Gamma), "must be in (0, 1]");
        if (PlateauPatience < 0) return new(nameof(PlateauPatience), "must not be negative");
        if (EarlyStoppingPatience < 0) return new(nameof(EarlyStoppingPatience), "must not be negative");
        if (LabelSmoothing < 0 || LabelSmoothing >= 1) return new(nameof(LabelSmoothing), "must be in [0, 1)");
        if (Augmentation.CropPadding < 0) return new(nameof(Augmentation.CropPadding), "must not be negative");
        if (Augmentation.Erasing < 0 || Augmentation.Erasing > 1) return new(nameof(Augmentation.Erasing), "must be in [0, 1]");
        if (Limit < 0) return new(nameof(Limit), "must not be negative");
        if (EmaDecay < 0 || EmaDecay >= 1) return new(nameof(EmaDecay), "must be in [0, 1) (0 is off)");
        if (Schedule == ScheduleKind.Plateau && ValidationFraction == 0) return new(nameof(Schedule), "plateau needs a validation split (ValidationFraction > 0)");
        if (EarlyStoppingPatience > 0 && ValidationFraction == 0) return new(nameof(EarlyStoppingPatience), "needs a validation split (ValidationFraction > 0)");
        return null;
    }

    /// <summary>The options whose values differ between two runs (Epochs excepted: it is the total to reach), with both values.</summary>
    public IReadOnlyList<OptionChange> Differences(TrainOptions other)
    {
        var changes = new List<OptionChange>();
        void Compare<T>(string name, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs)) changes.Add(new OptionChange(name, Format(mine), Format(theirs)));
        }
        Compare(nameof(BatchSize), BatchSize, other.BatchSize);
        Compare(nameof(Optimizer), Optimizer, other.Optimizer);
        Compare(nameof(LearningRate), LearningRate, other.LearningRate);
        Compare(nameof(Momentum), Momentum, other.Momentum);
        Compare(nameof(Nesterov), Nesterov, other.Nesterov);
        Compare(nameof(WeightDecay), WeightDecay, other.WeightDecay);
        Compare(nameof(Schedule), Schedule, other.Schedule);
        Compare(nameof(StepSize), StepSize, other.StepSize);
        Compare(nameof(Gamma), Gamma, other.Gamma);
        Compare(nameof(PlateauPatience), PlateauPatience, other.PlateauPatience);
        Compare(nameof(PlateauFactor), PlateauFactor, other.PlateauFactor);
        Compare(nameof(EarlyStoppingPatience), EarlyStoppingPatience, other.EarlyStoppingPatience);
        Compare(nameof(ValidationFraction), ValidationFraction, other.ValidationFraction);
        Compare(nameof(Seed), Seed, other.Seed);
        Compare(nameof(LabelSmoothing), LabelSmoothing, other.LabelSmoothing);
        Compare(nameof(Fit), Fit, other.Fit);
        Compare(nameof(Augmentation.HorizontalFlip), Augmentation.HorizontalFlip, other.Augmentation.HorizontalFlip);
        Compare(nameof(Augmentation.CropPadding), Augmentation.CropPadding, other.Augmentation.CropPadding);
        Compare(nameof(Augmentation.Erasing), Augmentation.Erasing, other.Augmentation.Erasing);
        Compare(nameof(Limit), Limit, other.Limit);
        Compare(nameof(EmaDecay), EmaDecay, other.EmaDecay);
        Compare(nameof(TestTimeFlip), TestTimeFlip, other.TestTimeFlip);
        Compare(nameof(Precision), Precision, other.Precision);
        return changes;
    }

    private static string Format<T>(T value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };
}

/// <summary>An option that cannot work: the property and what it must be.</summary>
public sealed record OptionsProblem(string Property, string Message)
{
    public override string ToString() => $"{Property} {Message}";
}

/// <summary>An option whose value differs between a checkpoint and a resumed run: its name, the checkpoint's value and the new one.</summary>
public sealed record OptionChange(string Property, string Was, string Now, int AfterEpoch = 0)
{
    public override string ToString() => $"{Property} {Was} -> {Now}";
}

/// <summary>One epoch's numbers, as the CSV log and the curves show them.</summary>
public sealed record EpochRecord(
    int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double? ValidationLoss, double? ValidationAccuracy, double ImagesPerSecond, double Seconds, double DataWaitSeconds = 0);
