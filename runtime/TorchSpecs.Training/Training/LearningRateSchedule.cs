namespace TorchSpecs.Training;

/// <summary>
/// The learning rate as a function of the position in the run, plus the plateau state. Pure
/// arithmetic, saved in checkpoints, so a resumed run continues exactly where it stopped
/// (TorchSharp's own schedulers cannot be saved).
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly TrainOptions _options;

    public LearningRateSchedule(TrainOptions options, ScheduleState? state = null)
    {
        _options = options;
        State = state ?? new ScheduleState(1.0, double.PositiveInfinity, 0);
    }

    /// <summary>Plateau: the factor on the base rate, the best validation loss and epochs since it.</summary>
    public ScheduleState State { get; private set; }

    /// <summary>The rate for a step: <paramref name="epoch"/> counts from 0, <paramref name="progress"/> is the share of the epoch done.</summary>
    public double At(int epoch, double progress)
    {
        double lr = _options.LearningRate;
        double t = Math.Clamp((epoch + progress) / _options.Epochs, 0, 1);
        switch (_options.Schedule)
        {
            case ScheduleKind.OneCycle:
                const double warm = 0.3, startDiv = 25, endDiv = 1e4;
                if (t < warm) return lr / startDiv + (lr - lr / startDiv) * t / warm;
                double u = (t - warm) / (1 - warm);
                return lr / endDiv + (lr - lr / endDiv) * 0.5 * (1 + Math.Cos(Math.PI * u));
            case ScheduleKind.Cosine:
                return lr * 0.5 * (1 + Math.Cos(Math.PI * t));
            case ScheduleKind.Step:
                return lr * Math.Pow(_options.Gamma, epoch / _options.StepSize);
            case ScheduleKind.Plateau:
                return lr * State.Factor;
            default:
                return lr;
        }
    }

    /// <summary>Called after each epoch with its validation loss; returns true when the rate was cut.</summary>
    public bool EndEpoch(double? validationLoss)
    {
        if (_options.Schedule != ScheduleKind.Plateau || validationLoss is not { } loss) return false;
        // PyTorch's defaults: relative threshold 1e-4, mode min.
        if (loss < State.Best * (1 - 1e-4))
        {
            State = State with { Best = loss, BadEpochs = 0 };
            return false;
        }
        int bad = State.BadEpochs + 1;
        if (bad > _options.PlateauPatience)
        {
            State = State with { Factor = State.Factor * _options.PlateauFactor, BadEpochs = 0 };
            return true;
        }
        State = State with { BadEpochs = bad };
        return false;
    }
}

/// <summary>The plateau schedule's state.</summary>
public sealed record ScheduleState(double Factor, double Best, int BadEpochs);
