using TorchSharp;
using TorchSpecs;
using TorchSpecs.Data;
using TorchSpecs.Training;
using TorchSpecsApp; // the generated model classes are in the project's root namespace

// 1. The layer table, computed from specs/tiny-net.yaml at build time (no network is built).
Console.WriteLine(ModelSummary.Format(TinyNet.Info));

// 2. The model is a TorchSharp module: a forward pass on a batch of two 8x8 images.
using (var model = new TinyNet())
using (var output = model.call(torch.rand(2, 1, 8, 8)))
{
    Console.WriteLine($"output shape: [{string.Join(", ", output.shape)}]");
    Console.WriteLine($"parameters: {model.parameters().Sum(p => p.numel())}");
}

// 3. Train it on a synthetic task (which quadrant of the image is bright), then evaluate it
//    on images it has not seen. Nothing is downloaded.
using var train = Quadrants(640, seed: 1);
using var test = Quadrants(200, seed: 2);
var options = new TrainOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.05, ValidationFraction = 0.2, Seed = 5 };
torch.manual_seed(options.Seed);  // the spec's initializers draw from it
using var net = new TinyNet();
var trainer = new Trainer(net, options, torch.CPU)
{
    Spec = TinyNet.Info,                                               // records the layer table in checkpoints
    Checkpoints = new CheckpointPolicy(Path.Combine("runs", "TinyNet")), // leave it out and no file is written
};
var run = trainer.Fit(train);
foreach (var epoch in run.History)
    Console.WriteLine($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:F3}, validation accuracy {epoch.ValidationAccuracy:F3}");
var transform = new BatchTransform(TinyNet.Info.Input, FitMode.Resize, run.Normalization!); // the training set's mean and std
var (_, accuracy) = Trainer.Measure(net, test, transform);
Console.WriteLine($"test accuracy: {accuracy:F3}");
Console.WriteLine($"checkpoint: {run.BestCheckpoint}");

// 8x8 grayscale noise with one brighter 4x4 quadrant; the label says which one.
static TensorImageDataSet Quadrants(int count, long seed)
{
    using var generator = new torch.Generator((ulong)seed);
    using var labels = torch.randint(0, 4, new long[] { count }, generator: generator, dtype: torch.ScalarType.Int64);
    using var images = torch.rand(new long[] { count, 1, 8, 8 }, generator: generator).mul_(120);
    long[] label = labels.data<long>().ToArray();
    for (int i = 0; i < count; i++)
    {
        int top = (int)(label[i] / 2 * 4), left = (int)(label[i] % 2 * 4);
        images[i, 0, top..(top + 4), left..(left + 4)].add_(50);
    }
    return new TensorImageDataSet("quadrants", images.to_type(torch.ScalarType.Byte), labels.clone(), new[] { "top-left", "top-right", "bottom-left", "bottom-right" });
}
