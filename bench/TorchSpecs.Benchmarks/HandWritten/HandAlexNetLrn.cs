using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchSpecs.Benchmarks.HandWritten;

/// <summary>
/// AlexNet with PyTorch's LRN, written by hand the way TorchSharp users write it (two
/// Sequentials, in-place ReLU): the same layers and initialization as the generated
/// <c>AlexNetTorchLrn</c> (specs/seeds/alexnet-torch-lrn.yaml). Conv weights N(0, 0.01), conv
/// biases 0, 1, 0, 1, 1; the dense layers keep TorchSharp's default initialization.
/// </summary>
public sealed class HandAlexNetLrn : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    public HandAlexNetLrn() : base(nameof(HandAlexNetLrn))
    {
        features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride: 4L), nn.ReLU(inplace: true), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding: 2L), nn.ReLU(inplace: true), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding: 1L), nn.ReLU(inplace: true),
            nn.Conv2d(384, 384, 3, padding: 1L), nn.ReLU(inplace: true),
            nn.Conv2d(384, 256, 3, padding: 1L), nn.ReLU(inplace: true),
            nn.MaxPool2d(3, 2));
        classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5), nn.Linear(9216, 4096), nn.ReLU(inplace: true),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace: true),
            nn.Linear(4096, 1000));
        RegisterComponents();

        using var noGrad = torch.no_grad();
        var biases = new[] { 0.0, 1.0, 0.0, 1.0, 1.0 };
        int i = 0;
        foreach (var conv in features.children().OfType<Conv2d>())
        {
            nn.init.normal_(conv.weight!, 0.0, 0.01);
            nn.init.constant_(conv.bias!, biases[i++]);
        }
    }

    public override Tensor forward(Tensor input) => classifier.call(features.call(input));
}
