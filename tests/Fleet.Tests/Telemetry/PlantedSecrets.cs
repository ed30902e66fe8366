namespace Fleet.Tests.Telemetry;

/// <summary>One credential in one of the forms people and tools write it: the text that carries it, and the value that must never be stored.</summary>
internal sealed record PlantedSecret(string Form, string Text, string Value);

/// <summary>
/// A corpus of credentials in the forms the masker covers, each with a value of its own drawn at random (from
/// <see cref="Seed"/>, which failure messages name so a failure can be replayed).
/// </summary>
internal sealed class PlantedSecrets
{
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string Hex = "0123456789abcdef";
    private const string Base64 = Alnum + "+/";
    private const string UrlSafe = Alnum + "_-";

    private readonly Random _random;

    public PlantedSecrets(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
        All = Build();
    }

    public int Seed { get; }

    public IReadOnlyList<PlantedSecret> All { get; }

    /// <summary>Every planted text, one a line.</summary>
    public string Text => string.Join('\n', All.Select(s => s.Text));

    private string Draw(string alphabet, int length) => string.Create(length, alphabet, (span, a) =>
    {
        for (var i = 0; i < span.Length; i++)
            span[i] = a[_random.Next(a.Length)];
    });

    // Prefixes are split so that no secret scanner mistakes this file for a leak.
    private List<PlantedSecret> Build()
    {
        var list = new List<PlantedSecret>();
        void Add(string form, Func<string, string> text, string value) => list.Add(new PlantedSecret(form, text(value), value));

        Add("url, empty user", v => $"connect to redis://:{v}@cache.internal:6379/0 now", Draw(Alnum, 20));
        Add("url, https user", v => $"git clone https://deploy:{v}@git.example.org/team/repo.git", Draw(Alnum, 18));
        Add("url, postgres", v => $"DATABASE_URL=postgres://app:{v}@db.internal:5432/app", Draw(Alnum, 16));
        Add("url, mongodb+srv", v => $"mongodb+srv://svc:{v}@cluster0.ab1cd.mongodb.net/prod?retryWrites=true", Draw(Alnum, 24));
        Add("url, amqp", v => $"amqp://guest:{v}@rabbit:5672/vhost", Draw(Alnum, 12));
        Add("url, password with @ and :", v => $"mysql://root:{v}@localhost/db", Draw(Alnum, 8) + "@:" + Draw(Alnum, 8));
        Add("password=", v => $"run with password={v} please", Draw(Alnum, 14));
        Add("password = \"…\" with spaces", v => $"password = \"{v}\"", Draw(Alnum, 6) + " " + Draw(Alnum, 6));
        Add("passwd:", v => $"passwd: {v}", Draw(Alnum, 10));
        Add("pwd=", v => $"mysql --user=root pwd={v} db", Draw(Alnum, 11));
        Add("secret=", v => $"secret={v}", Draw(Alnum, 32));
        Add("api_key=", v => $"call it with api_key={v}&q=1", Draw(Alnum, 30));
        Add("token=", v => $"?token={v}", Draw(Alnum, 28));
        Add("token: '…'", v => $"token: '{v}'", Draw(Alnum, 26));
        Add("yaml password:", v => $"db:\n  password: {v}\n  host: x", Draw(Alnum, 15));
        Add("--password=", v => $"psql --password={v} -h db", Draw(Alnum, 13));
        Add("json password", v => $"{{\"user\": \"app\", \"password\": \"{v}\"}}", Draw(Alnum, 17));
        Add("json client_secret", v => $"{{\"client_id\":\"x\",\"client_secret\":\"{v}\"}}", Draw(UrlSafe, 40));
        Add("json apiKey camelCase", v => $"const config = {{ apiKey: \"{v}\" }};", Draw(Alnum, 39));
        Add("X-API-Key header", v => $"X-API-Key: {v}", Draw(Alnum, 32));
        Add("export AWS_SECRET_ACCESS_KEY", v => $"export AWS_SECRET_ACCESS_KEY={v}", Draw(Base64, 40));
        Add("export DB_PASSWORD='…'", v => $"export DB_PASSWORD='{v}'", Draw(Alnum, 12));
        Add("GITHUB_TOKEN= env", v => $"GITHUB_TOKEN={v} gh pr list", Draw(Alnum, 40));
        Add("Authorization: Bearer", v => $"curl -H 'Authorization: Bearer {v}' https://api.example.org", Draw(UrlSafe, 40));
        Add("Authorization: Basic", v => $"Authorization: Basic {v}", Draw(Base64, 28) + "==");
        Add("Authorization: token", v => $"-H \"Authorization: token {v}\"", Draw(Alnum, 40));
        Add("bearer alone", v => $"send Bearer {v} to the API", Draw(UrlSafe, 36));
        Add("github ghp_", v => $"push with {v}", "gh" + "p_" + Draw(Alnum, 36));
        Add("github gho_", v => $"oauth {v}", "gh" + "o_" + Draw(Alnum, 36));
        Add("github ghu_", v => $"user-to-server {v}", "gh" + "u_" + Draw(Alnum, 36));
        Add("github ghs_", v => $"server-to-server {v}", "gh" + "s_" + Draw(Alnum, 36));
        Add("github ghr_", v => $"refresh {v}", "gh" + "r_" + Draw(Alnum, 36));
        Add("github_pat_", v => $"fine-grained {v}", "github_" + "pat_" + Draw(Alnum, 22) + "_" + Draw(Alnum, 59));
        Add("gitlab glpat-", v => $"gitlab {v}", "gl" + "pat-" + Draw(UrlSafe, 20));
        Add("slack xoxb-", v => $"bot {v}", "xo" + "xb-" + Draw("0123456789", 12) + "-" + Draw("0123456789", 13) + "-" + Draw(Alnum, 24));
        Add("slack xoxp-", v => $"user {v}", "xo" + "xp-" + Draw("0123456789", 12) + "-" + Draw("0123456789", 12) + "-" + Draw(Alnum, 32));
        Add("slack xapp-", v => $"app {v}", "xa" + "pp-1-A" + Draw(Alnum, 10) + "-" + Draw("0123456789", 13) + "-" + Draw(Hex, 64));
        Add("slack webhook", v => $"POST https://hooks.slack.com/services/{v}", "T" + Draw(Alnum, 8).ToUpperInvariant() + "/B" + Draw(Alnum, 8).ToUpperInvariant() + "/" + Draw(Alnum, 24));
        Add("discord webhook", v => $"https://discord.com/api/webhooks/{v}", Draw("0123456789", 18) + "/" + Draw(UrlSafe, 68));
        Add("aws AKIA", v => $"aws_access_key_id = {v}", "AK" + "IA" + Draw("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
        Add("aws ASIA", v => $"session key {v}", "AS" + "IA" + Draw("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
        Add("aws secret key in config", v => $"aws_secret_access_key = {v}", Draw(Base64, 40));
        Add("google AIza", v => $"maps key {v}", "AI" + "za" + Draw(UrlSafe, 35));
        Add("gcp service account private_key", v => "{\"type\": \"service_account\", \"private_key_id\": \"abc\", \"private_key\": \"-----BEGIN " + "PRIVATE KEY-----\\n" + v + "\\n-----END PRIVATE KEY-----\\n\"}", Draw(Base64, 64));
        Add("azure AccountKey", v => $"DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={v};EndpointSuffix=core.windows.net", Draw(Base64, 86) + "==");
        Add("azure SharedAccessKey", v => $"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={v}", Draw(Base64, 43) + "=");
        Add("stripe sk_live_", v => $"stripe {v}", "sk" + "_live_" + Draw(Alnum, 24));
        Add("stripe rk_live_", v => $"restricted {v}", "rk" + "_live_" + Draw(Alnum, 24));
        Add("openai sk-", v => $"OPENAI {v}", "sk" + "-" + Draw(Alnum, 48));
        Add("openai sk-proj-", v => $"project key {v}", "sk" + "-proj-" + Draw(UrlSafe, 64));
        Add("anthropic sk-ant-", v => $"claude {v}", "sk" + "-ant-api03-" + Draw(UrlSafe, 80));
        Add("npm npm_", v => $"//registry/:_authToken={v}", "np" + "m_" + Draw(Alnum, 36));
        Add("pypi pypi-", v => $"twine upload -p {v}", "py" + "pi-AgEIcHlwaS5vcmc" + Draw(UrlSafe, 60));
        Add("huggingface hf_", v => $"huggingface-cli login --token {v}", "h" + "f_" + Draw(Alnum, 34));
        Add("twilio SK", v => $"twilio api key {v}", "S" + "K" + Draw(Hex, 32));
        Add("twilio auth token", v => $"TWILIO_AUTH_TOKEN={v}", Draw(Hex, 32));
        Add("sendgrid SG.", v => $"sendgrid {v}", "S" + "G." + Draw(UrlSafe, 22) + "." + Draw(UrlSafe, 43));
        Add("jwt", v => $"cookie session={v}", "ey" + "J" + Draw(UrlSafe, 30) + "." + "ey" + "J" + Draw(UrlSafe, 40) + "." + Draw(UrlSafe, 43));
        Add("pem rsa block", v => "-----BEGIN " + "RSA PRIVATE KEY-----\n" + v + "\n-----END RSA PRIVATE KEY-----", Draw(Base64, 64));
        Add("pem openssh block", v => "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + v + "\n-----END OPENSSH PRIVATE KEY-----", Draw(Base64, 70));
        return list;
    }
}
