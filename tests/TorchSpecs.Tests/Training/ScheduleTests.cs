using TorchSpecs.Training;

namespace TorchSpecs.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void One_cycle_warms_up_to_the_peak_then_anneals()
    {
        var s = new LearningRateSchedule(new TrainOptions { Epochs = 10, LearningRate = 0.1, Schedule = ScheduleKind.OneCycle });
        Assert.Equal(0.1 / 25, s.At(0, 0), 9);
        Assert.Equal(0.1, s.At(3, 0), 9);
        Assert.True(s.At(2, 0) < s.At(3, 0) && s.At(4, 0) < s.At(3, 0));
        Assert.True(s.At(9, 0.99) < 0.001);
    }

    [Fact]
    public void Step_multiplies_by_gamma_every_step_size_epochs()
    {
        var s = new LearningRateSchedule(new TrainOptions { LearningRate = 0.1, Schedule = ScheduleKind.Step, StepSize = 3, Gamma = 0.5 });
        Assert.Equal(0.1, s.At(2, 0.9), 12);
        Assert.Equal(0.05, s.At(3, 0), 12);
        Assert.Equal(0.025, s.At(6, 0), 12);
    }

    [Fact]
    public void Plateau_cuts_after_patience_epochs_without_improvement()
    {
        var s = new LearningRateSchedule(new TrainOptions { LearningRate = 0.1, Schedule = ScheduleKind.Plateau, PlateauPatience = 1, PlateauFactor = 0.1 });
        Assert.False(s.EndEpoch(1.0));
        Assert.False(s.EndEpoch(0.9));
        Assert.False(s.EndEpoch(0.95)); // 1 bad epoch: within patience
        Assert.Equal(0.1, s.At(3, 0), 12);
        Assert.True(s.EndEpoch(0.91));  // 2 bad epochs: cut
        Assert.Equal(0.01, s.At(4, 0), 12);
        var restored = new LearningRateSchedule(new TrainOptions { LearningRate = 0.1, Schedule = ScheduleKind.Plateau }, s.State);
        Assert.Equal(0.01, restored.At(5, 0), 12);
    }
}
