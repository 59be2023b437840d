using System.Globalization;
using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Training;

namespace TorchSpecs.Cli;

/// <summary>
/// The real training loop (<see cref="Trainer"/>: the background batch worker decoding, resizing,
/// augmenting and normalizing real data, then forward, loss, backward, SGD step and the
/// loss/accuracy bookkeeping) on the first images of a data set, one epoch per timed run after a
/// warm-up epoch. Reports images/s, the share of each step spent waiting for the batch, and the
/// loop's rate against forward+backward and training steps of the same model and batch on one
/// batch held in memory, measured right after each run (so that both see the same load).
/// </summary>
internal static class TrainingLoopBench
{
    public static TrainingLoopResult Run(ModelInfo info, BenchOptions o, string dataSet, string? directory, bool cache, torch.Device device,
        TextWriter progress)
    {
        var folder = new ImageFolderOptions { Cache = cache };
        progress.WriteLine($"loading {dataSet} for the training loop ...");
        var loadClock = System.Diagnostics.Stopwatch.StartNew();
        using var splits = DataSets.Load(dataSet, directory, loadTest: false, folder);
        double loadSeconds = loadClock.Elapsed.TotalSeconds;
        var train = splits.Train;
        int batches = Math.Max(o.Iterations, 1);
        long images = Math.Min(train.Count, (long)o.Batch * batches);
        var options = new TrainOptions
        {
            Epochs = 1 + o.Runs, BatchSize = o.Batch, LearningRate = 1e-4, Schedule = ScheduleKind.Constant, ValidationFraction = 0,
            Limit = (int)images, Augmentation = new Augmentation(HorizontalFlip: true), Seed = 1, Precision = o.Precision,
        };
        torch.manual_seed(0);
        using var model = info.Create();
        var normalization = BatchTransform.Measure(train, info.Input, options.Fit, sample: 500);
        var records = new List<(EpochRecord Loop, double Backward, double Step)>();
        // After each epoch of the loop (on the training thread, with the batch worker stopped), the
        // same model runs as many batches forward+backward, and full training steps, on one batch
        // held in memory: the pairs see the same load, so their ratio is what the loop costs.
        using var x = torch.randn(info.Input.ToTorch(o.Batch), device: device);
        using var y = torch.randint(0, info.Classes, new long[] { o.Batch }, device: device, dtype: torch.ScalarType.Int64);
        double InMemory(bool step)
        {
            // The same numbers as the loop's steps: with bfloat16, float32 masters of the model's weights.
            using var mixed = o.Precision == TrainingPrecision.BFloat16 ? new MixedPrecision(model) : null;
            // The loop's own optimizer (Nesterov momentum, weight decay) with a learning rate too small to move the weights.
            using var sgd = Trainer.CreateOptimizer(mixed?.Masters ?? model.parameters(), options with { LearningRate = 1e-12 });
            using var compute = mixed?.Compute();
            var pass = new TrainingStep(model, sgd, mixed);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < batches; i++)
            {
                using var scope = torch.NewDisposeScope();
                pass.ZeroGradients();
                torch.nn.functional.cross_entropy(pass.Forward(x), y).backward();
                if (step) pass.Update();
            }
            return (double)batches * o.Batch / clock.Elapsed.TotalSeconds;
        }
        var trainer = new Trainer(model, options, device)
        {
            Spec = info, Normalization = normalization,
            Observer = new Recorder(record =>
            {
                double backward = InMemory(step: false), step = InMemory(step: true);
                records.Add((record, backward, step));
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  epoch {record.Epoch}{(record.Epoch == 1 ? " (warm-up)" : "")}: training loop {record.ImagesPerSecond:F1} images/s, waited {100 * record.DataWaitSeconds / record.Seconds:F1}% for data; in memory: forward+backward {backward:F1}, training step {step:F1} images/s"));
            }),
        };
        trainer.Fit(train);
        var timed = records.Skip(1).ToArray();   // the first epoch is the warm-up
        double[] rates = timed.Select(r => r.Loop.ImagesPerSecond).ToArray();
        double wait = timed.Sum(r => r.Loop.DataWaitSeconds) / timed.Sum(r => r.Loop.Seconds);
        return new TrainingLoopResult(dataSet, train.Name, images, o.Batch, cache, loadSeconds, rates, ModelBench.Median(rates), rates.Min(), rates.Max(), wait,
            ModelBench.Median(timed.Select(r => r.Loop.ImagesPerSecond / r.Backward).ToArray()),
            ModelBench.Median(timed.Select(r => r.Loop.ImagesPerSecond / r.Step).ToArray()),
            timed.Select(r => r.Backward).ToArray(), timed.Select(r => r.Step).ToArray());
    }

    private sealed class Recorder(Action<EpochRecord> epochDone) : ITrainingObserver
    {
        public void RunStarting(TrainingPlan plan) { }
        public void BatchDone(BatchProgress p) { }
        public void EpochDone(EpochRecord record, bool improved) => epochDone(record);
        public void Message(string text) { }
    }

    public static string Format(TrainingLoopResult r)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine();
        w.WriteLine($"training loop on {r.Data} ({r.Images} images per run, batch {r.Batch}{(r.Cache ? ", decoded images cached" : "")}; loading took {r.LoadSeconds:F1} s):");
        w.WriteLine($"  {r.ImagesPerSecond:F1} images/s (runs {r.Min:F1}–{r.Max:F1}); the step waited for its batch {100 * r.DataWaitShare:F1}% of the time");
        w.WriteLine($"  right after each run, on one batch held in memory: forward+backward {ModelBench.Median(r.ForwardBackwardRuns):F1} images/s, training step (+ the loop's SGD update: Nesterov momentum, weight decay) {ModelBench.Median(r.TrainingStepRuns):F1} images/s");
        w.WriteLine($"  loop / forward+backward: {r.RatioToForwardBackward:F2}; loop / training step: {r.RatioToTrainingStep:F2} (medians of the per-run ratios)");
        return w.ToString();
    }
}

internal sealed record TrainingLoopResult(string DataSet, string Data, long Images, int Batch, bool Cache, double LoadSeconds,
    double[] ImagesPerSecondRuns, double ImagesPerSecond, double Min, double Max, double DataWaitShare,
    double RatioToForwardBackward, double RatioToTrainingStep, double[] ForwardBackwardRuns, double[] TrainingStepRuns);
