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

    /// <summary>A one-line error for options that cannot work, or null.</summary>
    public string? Validate()
    {
        if (Epochs < 1) return "--epochs must be at least 1";
        if (BatchSize < 1) return "--batch-size must be at least 1";
        if (!(LearningRate > 0)) return "--lr must be positive";
        if (Momentum < 0 || Momentum >= 1) return "--momentum must be in [0, 1)";
        if (WeightDecay < 0) return "--weight-decay must not be negative";
        if (ValidationFraction < 0 || ValidationFraction >= 1) return "--validation must be in [0, 1)";
        if (StepSize < 1) return "--step-size must be at least 1";
        if (!(Gamma > 0) || Gamma > 1) return "--gamma must be in (0, 1]";
        if (PlateauPatience < 0 || EarlyStoppingPatience < 0) return "patience must not be negative";
        if (LabelSmoothing < 0 || LabelSmoothing >= 1) return "--label-smoothing must be in [0, 1)";
        if (Augmentation.CropPadding < 0) return "--crop-padding must not be negative";
        if (Schedule == ScheduleKind.Plateau && ValidationFraction == 0) return "--schedule plateau needs a validation split (--validation > 0)";
        if (EarlyStoppingPatience > 0 && ValidationFraction == 0) return "--early-stopping needs a validation split (--validation > 0)";
        return null;
    }
}

/// <summary>One epoch's numbers, as the CSV log and the curves show them.</summary>
public sealed record EpochRecord(
    int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double? ValidationLoss, double? ValidationAccuracy, double ImagesPerSecond, double Seconds);
