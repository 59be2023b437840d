using System.Globalization;
using Spectre.Console;
using TorchSpecs.Training;

namespace TorchSpecs.Cli;

/// <summary>
/// Shows a run's progress: a live Spectre.Console bar (loss, accuracy, images/s, ETA) on a
/// terminal; plain lines when stdout is redirected or CI=true.
/// </summary>
internal static class TrainingProgress
{
    public static bool Interactive =>
        !Console.IsOutputRedirected
        && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="train"/> with an observer drawing its progress.</summary>
    public static T Run<T>(Func<ITrainingObserver, T> train)
    {
        if (!Interactive) return train(new PlainObserver());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => result = train(new LiveObserver(context)));
        return result;
    }

    internal static string Epoch(EpochRecord r, bool improved) =>
        string.Create(CultureInfo.InvariantCulture,
            $"epoch {r.Epoch}: loss {r.TrainLoss:F4} acc {r.TrainAccuracy:F4}") +
        (r.ValidationAccuracy is { } va ? string.Create(CultureInfo.InvariantCulture, $" | val loss {r.ValidationLoss:F4} val acc {va:F4}") : "") +
        string.Create(CultureInfo.InvariantCulture, $" | lr {r.LearningRate:G3} | {r.ImagesPerSecond:F0} images/s | {r.Seconds:F1} s | data wait {100 * r.DataWaitSeconds / Math.Max(r.Seconds, 1e-9):F1}%") +
        (improved ? " *" : "");

    private static string Plan(TrainingPlan p) =>
        string.Create(CultureInfo.InvariantCulture,
            $"training {p.Model} on {p.Device}{(p.Precision == TrainingPrecision.BFloat16 ? " in bfloat16 (float32 master weights)" : "")}: epochs {p.StartEpoch + 1}..{p.Epochs}, {p.TrainImages} training images, {p.ValidationImages} validation images, {p.StepsPerEpoch} steps per epoch; writing to {p.OutputDirectory ?? "nothing (no checkpoints)"}");

    private sealed class PlainObserver : ITrainingObserver
    {
        private DateTime _lastLine = DateTime.UtcNow;
        private TrainingPlan? _plan;
        private double _secondsPerStep;

        public void RunStarting(TrainingPlan plan)
        {
            _plan = plan;
            Console.WriteLine(Plan(plan));
        }

        public void BatchDone(BatchProgress p)
        {
            _secondsPerStep = p.Elapsed.TotalSeconds / p.Step;
            if ((DateTime.UtcNow - _lastLine).TotalSeconds < 15 || p.Step == p.Steps) return;
            _lastLine = DateTime.UtcNow;
            long left = (p.Steps - p.Step) + (long)(p.Epochs - p.Epoch) * p.Steps;
            var eta = TimeSpan.FromSeconds(left * _secondsPerStep);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.Steps}: loss {p.Loss:F4} acc {p.Accuracy:F4}, {p.ImagesPerSecond:F0} images/s, lr {p.LearningRate:G3}, ETA {(int)eta.TotalMinutes}:{eta.Seconds:00}"));
        }

        public void EpochDone(EpochRecord record, bool improved)
        {
            _lastLine = DateTime.UtcNow;
            Console.WriteLine(Epoch(record, improved));
        }

        public void Message(string text) => Console.WriteLine(text);
    }

    private sealed class LiveObserver(ProgressContext context) : ITrainingObserver
    {
        private ProgressTask? _task;
        private long _doneBefore;

        public void RunStarting(TrainingPlan plan)
        {
            AnsiConsole.MarkupLine(Markup.Escape(Plan(plan)));
            _task = context.AddTask("starting", maxValue: Math.Max(1, (plan.Epochs - plan.StartEpoch) * plan.StepsPerEpoch));
        }

        public void BatchDone(BatchProgress p)
        {
            if (_task is null) return;
            _task.Value = _doneBefore + p.Step;
            _task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:F4} {p.ImagesPerSecond,5:F0} img/s"));
            if (p.Step == p.Steps) _doneBefore += p.Steps;
        }

        public void EpochDone(EpochRecord record, bool improved) => AnsiConsole.MarkupLine(Markup.Escape(Epoch(record, improved)));

        public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }
}
