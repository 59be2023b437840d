using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchSpecs.Benchmarks.HandWritten;

/// <summary>
/// VGG16 (configuration D) for 32x32 CIFAR-10 input, written by hand the usual way (a layer
/// list from the configuration, in-place ReLU): the same layers and initialization as the
/// generated <c>Vgg16Cifar10</c> (specs/seeds/vgg16-cifar10.yaml): Glorot-uniform weights and
/// zero biases everywhere, Keras' defaults.
/// </summary>
public sealed class HandVgg16Cifar10 : nn.Module<Tensor, Tensor>
{
    private static readonly int[] Configuration = { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 };

    private readonly Sequential features;
    private readonly Sequential classifier;

    public HandVgg16Cifar10() : base(nameof(HandVgg16Cifar10))
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (int width in Configuration)
        {
            if (width == 0)
            {
                layers.Add(nn.MaxPool2d(2, 2));
                continue;
            }
            layers.Add(nn.Conv2d(channels, width, 3, padding: 1L));
            layers.Add(nn.ReLU(inplace: true));
            channels = width;
        }
        features = nn.Sequential(layers);
        classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(512, 4096), nn.ReLU(inplace: true), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace: true), nn.Dropout(0.5),
            nn.Linear(4096, 10));
        RegisterComponents();

        using var noGrad = torch.no_grad();
        foreach (var module in features.children().Concat(classifier.children()))
        {
            if (module is Conv2d conv) { nn.init.xavier_uniform_(conv.weight!); nn.init.zeros_(conv.bias!); }
            else if (module is Linear linear) { nn.init.xavier_uniform_(linear.weight!); nn.init.zeros_(linear.bias!); }
        }
    }

    public override Tensor forward(Tensor input) => classifier.call(features.call(input));
}
