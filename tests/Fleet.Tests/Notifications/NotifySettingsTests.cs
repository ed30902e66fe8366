using Fleet.Notifications;
using Fleet.Paths;
using Fleet.Spec;
using Fleet.Tests.Infrastructure;
using Fleet.Validation;

namespace Fleet.Tests.Notifications;

/// <summary>fleet.json's notify section over the user's notify.json, and both validated like every other section.</summary>
public sealed class NotifySettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NotifySpec Spec(string? webhook = null, string[]? command = null, bool? desktop = null, bool? bell = null, bool? user = null) =>
        new() { Webhook = webhook, Command = command?.ToList(), Desktop = desktop, Bell = bell, UserDefaults = user };

    public static TheoryData<string, NotifySpec?, NotifySpec?, NotifySettings> Merges => new()
    {
        { "nothing anywhere", null, null, NotifySettings.None },
        { "the user's defaults alone", null, Spec("https://u/", ["notify-me"], true, true), new NotifySettings("https://u/", ["notify-me"], true, true) },
        { "fleet.json wins key by key", Spec("https://f/", bell: false), Spec("https://u/", ["notify-me"], true, true), new NotifySettings("https://f/", ["notify-me"], true, false) },
        { "an empty webhook and command turn the user's off", Spec("", []), Spec("https://u/", ["notify-me"]), NotifySettings.None },
        { "user_defaults false ignores the user's file", Spec(bell: true, user: false), Spec("https://u/", ["notify-me"], true), new NotifySettings(null, [], false, true) },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Fleet_json_is_merged_over_the_users_notify_json(string because, NotifySpec? fleet, NotifySpec? user, NotifySettings expected)
    {
        var merged = NotifySettings.Merge(fleet, user);

        (merged.Webhook, string.Join(' ', merged.Command), merged.Desktop, merged.Bell).ShouldBe((expected.Webhook, string.Join(' ', expected.Command), expected.Desktop, expected.Bell), because);
    }

    [Fact]
    public void A_bad_notify_section_in_fleet_json_is_an_error_at_its_line_and_column()
    {
        const string text = """
            {
              "fleet_name": "n", "type": "dag",
              "workers": [ { "id": "w", "type": "code-run", "task": "t" } ],
              "notify": {
                "webhook": "ftp://example.com/x",
                "command": [""],
                "bel": true
              }
            }
            """;

        var result = FleetValidator.Validate(text, "fleet.json", _dir.Path);

        result.IsValid.ShouldBeFalse();
        result.Errors.Select(e => e.ToString()).ShouldBe([
            "fleet.json:6:17: $.notify.command[0]: must not be empty",
            "fleet.json:7:5: $.notify.bel: unknown key \"bel\"; did you mean \"bell\"?",
            "fleet.json:5:16: $.notify.webhook: not an absolute http or https URL",
        ]);
    }

    [Fact]
    public void A_valid_notify_section_reaches_the_resolved_fleet()
    {
        const string text = """
            { "fleet_name": "n", "type": "dag", "workers": [ { "id": "w", "type": "code-run", "task": "t" } ],
              "notify": { "webhook": "https://hooks.example.com/services/T/B/X", "command": ["notify-me", "--json"], "desktop": true, "bell": true } }
            """;

        var fleet = FleetValidator.Validate(text, "fleet.json", _dir.Path).Fleet.ShouldNotBeNull();

        fleet.Notify.ShouldNotBeNull().Command.ShouldBe(["notify-me", "--json"]);
        fleet.Notify.Webhook.ShouldBe("https://hooks.example.com/services/T/B/X");
    }

    [Fact]
    public void A_broken_user_notify_json_is_reported_with_its_position_and_ignored()
    {
        var dirs = new UserDirs(name => name == "XDG_CONFIG_HOME" ? _dir.Path : name == "HOME" ? _dir.Path : null);
        _dir.Write("fleet/notify.json", "{\n  \"webhook\": 42,\n  \"user_defaults\": false\n}\n");

        var (settings, problems) = NotifySettings.Resolve(Spec(bell: true), dirs);

        NotifySettings.UserFile(dirs).ShouldBe(_dir.Combine("fleet", "notify.json"));
        settings.Bell.ShouldBeTrue();
        settings.Webhook.ShouldBeNull();
        problems.Count.ShouldBe(2);
        problems[0].ShouldStartWith($"notify: {_dir.Combine("fleet", "notify.json")}:2:14: $.webhook: ");
        problems[1].ShouldContain(":3:20: $.user_defaults: only fleet.json's notify section can ignore the user's notify.json");
    }

    [Fact]
    public void The_users_notify_json_lives_in_the_xdg_config_folder_and_defaults_to_dot_config()
    {
        new UserDirs(name => name == "HOME" ? "/home/u" : null).ConfigDir.ShouldBe("/home/u/.config/fleet");
        new UserDirs(name => name switch { "HOME" => "/home/u", "XDG_CONFIG_HOME" => "/etc/xdg-u", _ => null }).ConfigDir.ShouldBe("/etc/xdg-u/fleet");
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/…")]
    [InlineData("https://user:pw@discord.com/api/webhooks/1/SECRET?wait=true", "https://discord.com/…")]
    [InlineData("http://127.0.0.1:8080/hook/SECRET", "http://127.0.0.1:8080/…")]
    public void A_webhook_url_is_shown_by_its_scheme_and_host_only(string url, string shown)
    {
        UrlMask.Mask(url).ShouldBe(shown);
        UrlMask.Scrub($"POST {url} failed: refused ({new Uri(url).PathAndQuery})", url).ShouldNotContain("SECRET");
    }
}
