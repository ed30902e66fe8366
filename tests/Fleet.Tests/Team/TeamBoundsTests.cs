using Fleet.Team;

namespace Fleet.Tests.Team;

/// <summary>The pure decisions behind <c>team run --max-squads</c> and <c>--cost-cap</c>.</summary>
public sealed class TeamBoundsTests
{
    private const long GiB = 1L << 30;

    [Theory]
    [InlineData(2, 24 * GiB, 4)] // two cores: two squads a core
    [InlineData(16, 8 * GiB, 6)] // memory is the bound: 8 GiB less 2 GiB reserve, 1 GiB a squad
    [InlineData(64, 512 * GiB, 128)]
    [InlineData(1, 1 * GiB, 1)] // less memory than the reserve still runs one squad
    [InlineData(0, 0, 1)]
    [InlineData(4, 3 * GiB + GiB / 2, 1)] // a part of a squad's memory is no squad
    [InlineData(4, 4 * GiB, 2)]
    public void The_default_bound_is_the_smaller_of_what_the_cores_and_the_memory_allow_and_at_least_one(int cores, long memory, int expected)
    {
        SquadBound.Default(cores, memory).ShouldBe(expected);
    }

    [Fact]
    public void The_bound_for_this_machine_is_at_least_one()
    {
        SquadBound.ForThisMachine().ShouldBeGreaterThanOrEqualTo(1);
    }

    [Theory]
    [InlineData("10", "0", 1, null, "10")] // alone: all that is left
    [InlineData("10", "4", 3, null, "2")] // what is left, split among those that may start now
    [InlineData("10", "4", 3, "1.5", "1.5")] // never more than the plan's cap per squad
    [InlineData("10", "9.5", 1, "3", "0.5")]
    [InlineData("10", "10", 1, null, null)] // reached: not started
    [InlineData("10", "12.3", 2, null, null)] // a running worker went past it: still reached
    [InlineData("1", "0", 3, null, "0.3333")] // rounded down, so the shares never add up to more than the cap
    [InlineData("10", "0", 0, null, "10")] // no free slot counted as one
    public void A_starting_squads_cap_is_its_share_of_what_the_team_has_left(string teamCap, string committed, int sharers, string? squadCap, string? expected)
    {
        var cap = TeamBudget.SquadCap(D(teamCap), D(committed), sharers, squadCap is null ? null : D(squadCap));

        cap.ShouldBe(expected is null ? null : D(expected));
    }

    private static decimal D(string text) => decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}
