using TorchSharp;
using TorchSharp.Modules;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class SgdTests
{
    // Sizes around the vector width (8), the chunk two workers split (65,536), and odd tails.
    private static readonly long[] Sizes = { 1, 7, 8, 15, 17, 33, 4_097, 65_536, 65_537, 200_003 };

    private static Parameter[] Parameters(ScalarType dtype = ScalarType.Float32)
    {
        torch.manual_seed(11);
        return Sizes.Select(n => new Parameter(torch.randn(n, dtype: dtype))).ToArray();
    }

    private static Parameter[] Copy(Parameter[] ps) => ps.Select(p => new Parameter(p.detach().clone())).ToArray();

    /// <summary>Gives each parameter of both sets the same fresh gradient, drawn from torch's generator.</summary>
    private static void SameGradients(Parameter[] a, Parameter[] b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            using var g = torch.randn(a[i].shape, dtype: a[i].dtype);
            using (var ga = g.clone()) a[i].grad = ga;
            using (var gb = g.clone()) b[i].grad = gb;
        }
    }

    /// <summary>Both optimizers step <paramref name="steps"/> times over the same gradients.</summary>
    private static void StepBoth(OptimizerHelper reference, Parameter[] a, OptimizerHelper fused, Parameter[] b, int steps)
    {
        torch.manual_seed(3);
        for (int step = 0; step < steps; step++)
        {
            SameGradients(a, b);
            reference.step();
            fused.step();
        }
    }

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        using var e = expected.view(-1);
        using var a = actual.view(-1);
        using var differ = e.ne(a).sum();
        long n = differ.item<long>();
        if (n == 0) return;
        using var largest = e.sub(a).abs().max().to_type(ScalarType.Float64);
        Assert.Fail($"{what}: {n} of {e.numel()} elements differ (by up to {largest.item<double>():G3})");
    }

    public static TheoryData<double, double, double, bool, bool> Settings => new()
    {
        { 0.9, 0, 5e-4, true, false },    // the trainer's: Nesterov momentum, weight decay
        { 0.9, 0, 5e-4, false, false },   // heavy-ball momentum
        { 0, 0, 5e-4, false, false },     // plain SGD with weight decay
        { 0.9, 0.1, 0, false, false },    // dampening, no weight decay
        { 0.5, 0, 1e-2, true, true },     // maximize
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Steps_give_TorchSharps_SGD_weights_and_buffers_bit_for_bit(double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var a = Parameters();
        var b = Copy(a);
        using var reference = torch.optim.SGD(a, 0.05, momentum, dampening, weightDecay, nesterov, maximize);
        using var fused = new TorchSpecs.Training.SGD(b, 0.05, momentum, dampening, weightDecay, nesterov, maximize);
        StepBoth(reference, a, fused, b, steps: 4);
        for (int i = 0; i < a.Length; i++) AssertSameBits(a[i], b[i], $"weights of {Sizes[i]}");
        var ra = reference.state_dict().State;
        var rb = fused.state_dict().State;
        if (momentum == 0) return;
        for (int i = 0; i < a.Length; i++)
            AssertSameBits(((TorchSharp.Modules.SGD.State)ra[i]).momentum_buffer, ((TorchSharp.Modules.SGD.State)rb[i]).momentum_buffer, $"momentum of {Sizes[i]}");
    }

    [Fact]
    public void Float64_parameters_take_TorchSharps_path_and_give_its_numbers()
    {
        var a = Parameters(ScalarType.Float64);
        var b = Copy(a);
        using var reference = torch.optim.SGD(a, 0.05, 0.9, 0, 5e-4, true);
        using var fused = new TorchSpecs.Training.SGD(b, 0.05, 0.9, 0, 5e-4, true);
        StepBoth(reference, a, fused, b, steps: 3);
        for (int i = 0; i < a.Length; i++) AssertSameBits(a[i], b[i], $"float64 weights of {Sizes[i]}");
    }

    [Fact]
    public void State_files_of_TorchSharps_SGD_and_this_one_load_into_either_and_continue_the_same()
    {
        using var dir = new TempDirectory();
        var a = Parameters();
        var b = Copy(a);
        using var reference = torch.optim.SGD(a, 0.05, 0.9, 0, 5e-4, true);
        using var fused = new TorchSpecs.Training.SGD(b, 0.05, 0.9, 0, 5e-4, true);
        torch.manual_seed(1);
        SameGradients(a, b);
        reference.step();
        fused.step();
        // Swap the states through files, then step again: each must continue the other's momentum.
        reference.save_state_dict(dir.File("reference.bin"));
        fused.save_state_dict(dir.File("fused.bin"));
        reference.load_state_dict(dir.File("fused.bin"));
        fused.load_state_dict(dir.File("reference.bin"));
        SameGradients(a, b);
        reference.step();
        fused.step();
        for (int i = 0; i < a.Length; i++) AssertSameBits(a[i], b[i], $"weights of {Sizes[i]} after swapping states");
    }

    [Fact]
    public void A_parameter_without_gradient_is_left_as_it_is()
    {
        var p = Parameters();
        using var before = p[3].detach().clone();
        using var fused = new TorchSpecs.Training.SGD(p, 0.05, 0.9, 0, 5e-4, true);
        for (int i = 0; i < p.Length; i++)
            if (i != 3)
                using (var g = torch.ones_like(p[i])) p[i].grad = g;
        fused.step();
        AssertSameBits(before, p[3], "the parameter without gradient");
        Assert.Null(((TorchSharp.Modules.SGD.State)fused.state_dict().State[3]).momentum_buffer);
    }

    [Fact]
    public void The_update_is_an_in_place_change_autograd_sees()
    {
        // A graph that saved the weight must refuse a second backward after the step, as it does
        // with TorchSharp's SGD (whose in-place add bumps the version counter the check reads).
        foreach (var fused in new[] { false, true })
        {
            var w = new Parameter(torch.randn(100));
            using var opt = fused ? (OptimizerHelper)new TorchSpecs.Training.SGD(new[] { w }, 0.1, 0.9) : torch.optim.SGD(new[] { w }, 0.1, 0.9);
            var loss = w.mul(w).sum();
            loss.backward(retain_graph: true);
            opt.step();
            var e = Assert.ThrowsAny<Exception>(() => loss.backward());
            Assert.Contains("modified by an inplace operation", e.Message);
        }
    }

    [Fact]
    public void The_trainer_creates_it_for_SGD()
    {
        var p = Parameters();
        using var sgd = Trainer.CreateOptimizer(p, new TrainOptions());
        Assert.IsType<TorchSpecs.Training.SGD>(sgd);
        using var adam = Trainer.CreateOptimizer(p, new TrainOptions { Optimizer = OptimizerKind.Adam });
        Assert.IsNotType<TorchSpecs.Training.SGD>(adam);
    }

    [Fact]
    public void The_trainers_step_drops_gradients_so_backward_hands_them_over_instead_of_adding()
    {
        var model = torch.nn.Linear(5, 3);
        using var sgd = Trainer.CreateOptimizer(model.parameters(), new TrainOptions { LearningRate = 0 });
        var step = new TrainingStep(model, sgd);
        using var x = torch.randn(4, 5);
        model.call(x).sum().backward();
        using var once = model.weight!.grad!.clone();
        step.ZeroGradients();
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
        model.call(x).sum().backward();
        using var again = model.weight!.grad!;
        AssertSameBits(once, again, "the gradient after dropping");
    }
}
