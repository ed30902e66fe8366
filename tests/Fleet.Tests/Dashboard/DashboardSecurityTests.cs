using System.Net;
using Fleet.Dashboard;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>The dashboard's security model against a real Kestrel on a free port: token, Host, origin, CSRF, answers once.</summary>
public sealed class DashboardSecurityTests
{
    private static readonly string[] GetRoutes =
        ["/", "/inbox", "/usage", "/usage?by=fleet", "/fleet?root={root}", "/worker?root={root}&iteration=1&worker=builder", "/kill?root={root}", "/events", "/assets/dashboard.js", "/assets/dashboard.css", "/no-such-page"];

    private static readonly string[] PostRoutes = ["/gate", "/pause", "/resume", "/kill", "/steer", "/no-such-action"];

    [Fact]
    public async Task Every_route_without_the_token_answers_401()
    {
        await using var d = await DashboardFixture.StartAsync();

        foreach (var route in GetRoutes)
        {
            (await d.SendAsync(d.Get(route, cookie: false))).Status.ShouldBe(HttpStatusCode.Unauthorized, route);
            var wrong = d.Get(route, cookie: false);
            wrong.Headers.Add("Cookie", $"{d.Server.Security.CookieName}=not-the-token");
            (await d.SendAsync(wrong)).Status.ShouldBe(HttpStatusCode.Unauthorized, route + " with a wrong cookie");
        }

        foreach (var route in PostRoutes)
        {
            (await d.SendAsync(d.Post(route, new Dictionary<string, string> { ["gate"] = DashboardFixture.GateId, ["decision"] = "allow" }, cookie: false))).Status.ShouldBe(HttpStatusCode.Unauthorized, route);
        }

        File.Exists(d.AnswerFile).ShouldBeFalse();
        File.Exists(d.Layout.PausedFile).ShouldBeFalse();
    }

    [Fact]
    public async Task With_the_token_every_page_is_served()
    {
        await using var d = await DashboardFixture.StartAsync();

        foreach (var route in GetRoutes.Where(r => r is not "/events" and not "/no-such-page"))
        {
            (await d.SendAsync(d.Get(route))).Status.ShouldBe(HttpStatusCode.OK, route);
        }
    }

    [Theory]
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1:1")]
    [InlineData("localhost")]
    [InlineData("127.0.0.1.nip.io:{port}")]
    public async Task A_request_whose_Host_is_not_the_bound_address_is_refused_even_with_the_token(string host)
    {
        await using var d = await DashboardFixture.StartAsync();
        var request = d.Get("/?token=" + d.Server.Security.Token);
        request.Headers.Host = host.Replace("{port}", d.Server.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var (status, body) = await d.SendAsync(request);

        status.ShouldBe(HttpStatusCode.Forbidden);
        body.ShouldContain("refused");
    }

    [Fact]
    public async Task Localhost_on_the_bound_port_is_served()
    {
        await using var d = await DashboardFixture.StartAsync();
        var request = d.Get("/");
        request.Headers.Host = $"localhost:{d.Server.Url.Port}";

        (await d.SendAsync(request)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_token_in_the_address_becomes_an_HttpOnly_SameSite_Strict_cookie_and_leaves_the_address()
    {
        await using var d = await DashboardFixture.StartAsync();
        using var request = d.Get("/inbox?token=" + d.Server.Security.Token, cookie: false);

        using var response = await d.Client.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();

        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        response.Headers.Location!.ToString().ShouldBe("/inbox");
        var cookie = response.Headers.GetValues("Set-Cookie").ShouldHaveSingleItem();
        cookie.ShouldStartWith($"{d.Server.Security.CookieName}={d.Server.Security.Token};");
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        response.Headers.GetValues("Referrer-Policy").ShouldBe(["no-referrer"]);
    }

    [Fact]
    public async Task A_POST_without_the_CSRF_token_is_refused_and_changes_nothing()
    {
        await using var d = await DashboardFixture.StartAsync();

        var pause = await d.SendAsync(d.Post("/pause", new Dictionary<string, string>(), csrf: null));
        var wrong = await d.SendAsync(d.Post("/gate", new Dictionary<string, string> { ["gate"] = DashboardFixture.GateId, ["decision"] = "allow" }, csrf: "forged"));

        pause.Status.ShouldBe(HttpStatusCode.Forbidden);
        pause.Body.ShouldContain("CSRF");
        wrong.Status.ShouldBe(HttpStatusCode.Forbidden);
        File.Exists(d.Layout.PausedFile).ShouldBeFalse();
        File.Exists(d.AnswerFile).ShouldBeFalse();
    }

    [Theory]
    [InlineData("http://evil.example", null)]
    [InlineData("http://127.0.0.1:1", null)]
    [InlineData("null", null)]
    [InlineData(null, "cross-site")]
    [InlineData(null, "same-site")]
    [InlineData(null, null)]
    public async Task A_POST_from_another_origin_is_refused_even_with_the_CSRF_token(string? origin, string? fetchSite)
    {
        await using var d = await DashboardFixture.StartAsync();
        var request = d.Post("/gate", new Dictionary<string, string> { ["gate"] = DashboardFixture.GateId, ["decision"] = "allow" }, origin: origin);
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        var (status, body) = await d.SendAsync(request);

        status.ShouldBe(HttpStatusCode.Forbidden);
        body.ShouldContain("same origin");
        File.Exists(d.AnswerFile).ShouldBeFalse();
    }

    [Fact]
    public async Task A_POST_that_says_it_is_same_origin_without_an_Origin_header_is_served()
    {
        await using var d = await DashboardFixture.StartAsync();
        var request = d.Post("/pause", new Dictionary<string, string>(), origin: null);
        request.Headers.Add("Sec-Fetch-Site", "same-origin");

        (await d.SendAsync(request)).Status.ShouldBe(HttpStatusCode.OK);
        File.Exists(d.Layout.PausedFile).ShouldBeTrue();
    }

    [Fact]
    public async Task A_second_answer_is_refused_as_fleet_approve_refuses_it_and_changes_nothing()
    {
        await using var d = await DashboardFixture.StartAsync();

        var firstRequest = d.Post("/gate", new Dictionary<string, string> { ["gate"] = DashboardFixture.GateId, ["decision"] = "allow" });
        firstRequest.Headers.Add("X-Fleet-Fetch", "1");
        var first = await d.SendAsync(firstRequest);
        var answer = await File.ReadAllTextAsync(d.AnswerFile, TestContext.Current.CancellationToken);
        var secondRequest = d.Post("/gate", new Dictionary<string, string> { ["gate"] = DashboardFixture.GateId, ["decision"] = "deny", ["message"] = "no" });
        secondRequest.Headers.Add("X-Fleet-Fetch", "1");
        var second = await d.SendAsync(secondRequest);

        first.Status.ShouldBe(HttpStatusCode.OK, first.Body);
        first.Body.ShouldContain("approved builder's Bash: npm test");
        answer.ShouldContain("\"by\": \"tester (dashboard)\"");
        second.Status.ShouldBe(HttpStatusCode.Conflict);
        second.Body.ShouldContain($"gate {DashboardFixture.GateId} was already answered: allow by tester (dashboard)");
        second.Body.ShouldContain("nothing changed");
        (await File.ReadAllTextAsync(d.AnswerFile, TestContext.Current.CancellationToken)).ShouldBe(answer);
    }

    [Fact]
    public async Task A_secret_in_a_gate_request_is_masked_on_every_page_that_shows_it()
    {
        const string key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij";
        await using var d = await DashboardFixture.StartAsync($"curl -H 'x-api-key: {key}' https://api.example.com");

        foreach (var route in (string[])["/inbox", "/fleet?root={root}", "/worker?root={root}&iteration=1&worker=builder"])
        {
            var (status, body) = await d.SendAsync(d.Get(route));

            status.ShouldBe(HttpStatusCode.OK, route);
            body.ShouldContain(DashboardFixture.GateId, customMessage: route);
            body.ShouldNotContain("AbCdEfGhIjKlMnOp", customMessage: route);
            body.ShouldContain("[REDACTED", customMessage: route);
        }
    }

    [Fact]
    public async Task Markup_in_a_fleet_s_files_is_shown_as_text()
    {
        await using var d = await DashboardFixture.StartAsync("<script>alert(1)</script>");

        var (_, body) = await d.SendAsync(d.Get("/inbox"));

        body.ShouldNotContain("<script>alert(1)</script>");
        body.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }

    [Fact]
    public async Task A_root_that_is_not_one_of_the_user_s_fleets_is_not_read_or_acted_on()
    {
        await using var d = await DashboardFixture.StartAsync();
        var elsewhere = d.Dir.Combine("elsewhere");
        Directory.CreateDirectory(elsewhere);

        var page = await d.SendAsync(d.Get("/fleet?root=" + Uri.EscapeDataString(elsewhere)));
        var pause = await d.SendAsync(d.Post("/pause", new Dictionary<string, string> { ["root"] = elsewhere }));

        page.Status.ShouldBe(HttpStatusCode.NotFound);
        pause.Status.ShouldBe(HttpStatusCode.NotFound);
        File.Exists(Path.Combine(elsewhere, ".paused")).ShouldBeFalse();
    }

    [Fact]
    public async Task Pages_forbid_inline_script_and_framing()
    {
        await using var d = await DashboardFixture.StartAsync();
        using var request = d.Get("/");

        using var response = await d.Client.SendAsync(request, TestContext.Current.CancellationToken).DefaultTimeout();

        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        policy.ShouldContain("script-src 'self'");
        policy.ShouldContain("frame-ancestors 'none'");
        policy.ShouldNotContain("unsafe-inline");
    }

    [Fact]
    public async Task A_link_followed_from_another_site_is_loaded_again_once_so_the_strict_cookie_can_come_along()
    {
        await using var d = await DashboardFixture.StartAsync();
        var request = d.Get("/fleet?root={root}", cookie: false);
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        var again = d.Get("/fleet?root={root}&_r=1", cookie: false);
        again.Headers.Add("Sec-Fetch-Site", "cross-site");

        var (status, body) = await d.SendAsync(request);
        var (secondStatus, secondBody) = await d.SendAsync(again);

        status.ShouldBe(HttpStatusCode.Unauthorized);
        body.ShouldContain("http-equiv=\"refresh\"");
        body.ShouldContain("_r=1");
        secondStatus.ShouldBe(HttpStatusCode.Unauthorized);
        secondBody.ShouldNotContain("http-equiv");
    }

    [Theory]
    [InlineData("127.0.0.1:7420", false, null, null, "tok", "Serve")]
    [InlineData("localhost:7420", false, null, null, "tok", "Serve")]
    [InlineData("[::1]:7420", false, null, null, "tok", "Serve")]
    [InlineData("evil.example:7420", false, null, null, "tok", "WrongHost")]
    [InlineData("127.0.0.1:7421", false, null, null, "tok", "WrongHost")]
    [InlineData(null, false, null, null, "tok", "WrongHost")]
    [InlineData("127.0.0.1:7420", false, null, null, null, "NoToken")]
    [InlineData("127.0.0.1:7420", false, null, null, "to", "NoToken")]
    [InlineData("127.0.0.1:7420", true, "http://127.0.0.1:7420", null, "tok", "NoCsrfToken")]
    [InlineData("127.0.0.1:7420", true, "http://localhost:7420", null, "tok", "CrossOrigin")]
    [InlineData("localhost:7420", true, "http://localhost:7420", null, "tok", "NoCsrfToken")]
    [InlineData("127.0.0.1:7420", true, "https://127.0.0.1:7420", null, "tok", "CrossOrigin")]
    [InlineData("127.0.0.1:7420", true, null, "same-origin", "tok", "NoCsrfToken")]
    [InlineData("127.0.0.1:7420", true, null, "none", "tok", "CrossOrigin")]
    [InlineData("127.0.0.1:7420", true, null, null, "tok", "CrossOrigin")]
    public void A_request_is_admitted_by_its_host_token_and_for_a_change_its_origin(string? host, bool change, string? origin, string? fetchSite, string? token, string expected)
    {
        var security = new DashboardSecurity("tok", DashboardSecurity.HostsFor(IPAddress.Loopback, []), 7420);

        security.Admit(host, token, null, change, origin, fetchSite, csrf: null).ToString().ShouldBe(expected);
    }

    [Fact]
    public void A_change_with_the_session_s_CSRF_token_from_the_same_origin_is_admitted()
    {
        var security = new DashboardSecurity("tok", DashboardSecurity.HostsFor(IPAddress.Loopback, []), 7420);

        security.Admit("127.0.0.1:7420", null, "tok", true, "http://127.0.0.1:7420", null, security.CsrfToken).ShouldBe(Admission.Serve);
        security.Admit("127.0.0.1:7420", null, "tok", true, "http://127.0.0.1:7420", null, security.Token).ShouldBe(Admission.NoCsrfToken);
        new DashboardSecurity("other", [], 7420).CsrfToken.ShouldNotBe(security.CsrfToken);
    }

    [Theory]
    [InlineData(null, null, "127.0.0.1", 7420, false)]
    [InlineData(null, 0, "127.0.0.1", 0, false)]
    [InlineData("localhost", 8000, "127.0.0.1", 8000, false)]
    [InlineData("127.0.0.1", null, "127.0.0.1", 7420, false)]
    [InlineData("::1", null, "::1", 7420, false)]
    [InlineData("[::1]", null, "::1", 7420, false)]
    [InlineData("0.0.0.0", null, "0.0.0.0", 7420, true)]
    [InlineData("192.168.1.5", 9000, "192.168.1.5", 9000, true)]
    public void The_dashboard_listens_on_loopback_unless_told_otherwise_and_warns_when_told(string? listen, int? port, string address, int expectedPort, bool warns)
    {
        var plan = ListenPlan.Decide(listen, port);

        plan.Address.ToString().ShouldBe(address);
        plan.Port.ShouldBe(expectedPort);
        (plan.Warning is not null).ShouldBe(warns);
        if (warns)
        {
            plan.Warning!.ShouldContain("other machines can reach it");
        }
    }

    [Theory]
    [InlineData("example.com", null, "not an IP address")]
    [InlineData(null, 70000, "not a port")]
    [InlineData(null, -1, "not a port")]
    public void A_listen_address_or_port_that_is_not_one_is_a_usage_error(string? listen, int? port, string message) =>
        Should.Throw<ArgumentException>(() => ListenPlan.Decide(listen, port)).Message.ShouldContain(message);

    [Fact]
    public void A_wildcard_listen_answers_to_this_machine_s_addresses_and_loopback_names_only()
    {
        var hosts = DashboardSecurity.HostsFor(IPAddress.Any, [IPAddress.Parse("10.0.0.7"), IPAddress.Parse("fe80::1")]);

        hosts.ShouldBe(["127.0.0.1", "localhost", "[::1]", "10.0.0.7", "[fe80::1]"]);
    }
}
