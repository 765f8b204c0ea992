using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

public sealed class SignedNoteTests
{
    // golang.org/x/mod/sumdb/note (note.go doc and note_test.go): the PeterNeumann key pair and its published note.
    // Ed25519 is deterministic (RFC 8032 §5.1.6), so signing the same text must reproduce the note byte for byte.
    private const string GoVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string GoSignerKeyMaterial = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string GoText =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string GoNote = GoText
        + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    private static readonly Checkpoint SampleCheckpoint = new("skybridge.example/ledger", 8, Rfc6962Vectors.Root(8));

    [Fact]
    public void Signer_ReproducesTheGoSumdbNote_ByteForByte()
    {
        var seed = Convert.FromBase64String(GoSignerKeyMaterial)[1..];
        var signer = LedgerSigner.FromPrivateKey("PeterNeumann", seed);

        Assert.Equal(GoVerifierKey, signer.PublicKey.ToVerifierString());
        Assert.Equal(0xc74f20a3u, signer.PublicKey.KeyId);
        Assert.Equal(GoNote, signer.Sign(GoText));
    }

    [Fact]
    public void Verify_AcceptsGoNoteSignature_ButNotAsACheckpoint()
    {
        Assert.True(LedgerVerifierKey.TryParse(GoVerifierKey, out var key));

        var result = SignedNote.Verify(GoNote, [key!]);

        // The signature is good; the body is prose, not a tree head, and a ledger trusts only checkpoints.
        Assert.Equal(NoteVerificationError.NotACheckpoint, result.Error);
        Assert.False(result.IsVerified);
        Assert.Null(result.Body);
    }

    [Fact]
    public void SignAndVerify_RoundTripsACheckpoint()
    {
        var signer = LedgerSigner.Generate("skybridge.example/ledger");
        var note = signer.Sign(SampleCheckpoint.ToBody());

        var result = SignedNote.Verify(note, [signer.PublicKey]);

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(NoteVerificationError.None, result.Error);
        Assert.Equal(SampleCheckpoint, result.Checkpoint);
        Assert.Equal(SampleCheckpoint.ToBody(), result.Body);
        Assert.Equal(["skybridge.example/ledger"], result.VerifiedKeyNames);
        Assert.StartsWith(SampleCheckpoint.ToBody() + "\n— skybridge.example/ledger ", note, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPrivateKey_RestoresTheSameKey_FromTheExportedSeed()
    {
        var original = LedgerSigner.Generate("log");
        var restored = LedgerSigner.FromPrivateKey("log", original.PrivateKeySeed);

        Assert.Equal(original.PublicKey, restored.PublicKey);
        Assert.True(SignedNote.Verify(restored.Sign(SampleCheckpoint.ToBody()), [original.PublicKey]).IsVerified);
    }

    [Fact]
    public void Verify_ReportsBadSignature_WhenTheBodyIsTampered()
    {
        var signer = LedgerSigner.Generate("log");
        var note = signer.Sign(SampleCheckpoint.ToBody());
        var tampered = note.Replace("\n8\n", "\n9\n", StringComparison.Ordinal);

        var result = SignedNote.Verify(tampered, [signer.PublicKey]);

        Assert.NotEqual(note, tampered);
        Assert.Equal(NoteVerificationError.BadSignature, result.Error);
        Assert.Null(result.Checkpoint);
    }

    [Fact]
    public void Verify_ReportsBadSignature_WhenTheSignatureIsTampered()
    {
        var signer = LedgerSigner.Generate("log");
        var note = signer.Sign(SampleCheckpoint.ToBody());
        var line = note[(note.LastIndexOf("— ", StringComparison.Ordinal) + 2)..^1];
        var blob = Convert.FromBase64String(line.Split(' ')[1]);
        blob[^1] ^= 0x01; // the last byte of the Ed25519 signature, leaving the key ID intact
        var tampered = note[..^(line.Length + 1)] + "log " + Convert.ToBase64String(blob) + "\n";

        Assert.Equal(NoteVerificationError.BadSignature, SignedNote.Verify(tampered, [signer.PublicKey]).Error);
    }

    [Fact]
    public void Verify_ReportsUnknownKey_WhenNoTrustedKeySigned()
    {
        var signer = LedgerSigner.Generate("log");
        var stranger = LedgerSigner.Generate("other-log");
        var note = signer.Sign(SampleCheckpoint.ToBody());

        var result = SignedNote.Verify(note, [stranger.PublicKey]);

        Assert.Equal(NoteVerificationError.UnknownKey, result.Error);
        Assert.Contains("unknown key", result.Message, StringComparison.Ordinal);
        Assert.Equal(NoteVerificationError.UnknownKey, SignedNote.Verify(note, []).Error);
    }

    [Fact]
    public void Verify_ReportsUnknownKey_ForAnotherKeyUnderTheSameName()
    {
        // Another deployment's (or an attacker's) key named like ours has a different key ID: it is simply not ours.
        var ours = LedgerSigner.Generate("skybridge.example/ledger");
        var impostor = LedgerSigner.Generate("skybridge.example/ledger");
        var note = impostor.Sign(SampleCheckpoint.ToBody());

        Assert.NotEqual(ours.PublicKey.KeyId, impostor.PublicKey.KeyId);
        Assert.Equal(NoteVerificationError.UnknownKey, SignedNote.Verify(note, [ours.PublicKey]).Error);
    }

    [Fact]
    public void Verify_ReportsBadSignature_WhenAnImpostorForgesOurKeyId()
    {
        var ours = LedgerSigner.Generate("log");
        var impostor = LedgerSigner.Generate("log");
        var note = impostor.Sign(SampleCheckpoint.ToBody());
        var split = note.LastIndexOf("— ", StringComparison.Ordinal);
        var blob = Convert.FromBase64String(note[split..^1].Split(' ')[2]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, ours.PublicKey.KeyId);
        var forged = note[..split] + "— log " + Convert.ToBase64String(blob) + "\n";

        Assert.Equal(NoteVerificationError.BadSignature, SignedNote.Verify(forged, [ours.PublicKey]).Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no signatures at all\n")]
    [InlineData("body\n\n— log !!!notbase64\n")]
    [InlineData("body\n\n— log AAAA\n")]
    [InlineData("body\n\n- log AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("body\n\n— log\n")]
    [InlineData("body\n\n— log QUJDREVGR0g=")]
    [InlineData("body\n\n\n")]
    [InlineData("bo\rdy\n\n— log QUJDREVGR0g=\n")]
    public void Verify_ReportsMalformedNote(string note)
    {
        var key = LedgerSigner.Generate("log").PublicKey;

        var result = SignedNote.Verify(note, [key]);

        Assert.Equal(NoteVerificationError.MalformedNote, result.Error);
        Assert.False(result.IsVerified);
    }

    [Fact]
    public void Verify_ReportsMalformedNote_ForCorruptedBase64InARealNote()
    {
        var signer = LedgerSigner.Generate("log");
        var note = signer.Sign(SampleCheckpoint.ToBody());
        var corrupted = note[..^3] + "*=\n";

        Assert.Equal(NoteVerificationError.MalformedNote, SignedNote.Verify(corrupted, [signer.PublicKey]).Error);
        Assert.Equal(NoteVerificationError.MalformedNote, SignedNote.Verify(null!, [signer.PublicKey]).Error);
    }

    [Fact]
    public void Verify_DuringRotation_AcceptsOldAndNewKeys()
    {
        var oldKey = LedgerSigner.Generate("log");
        var newKey = LedgerSigner.Generate("log");
        var trusted = new[] { newKey.PublicKey, oldKey.PublicKey };
        var body = SampleCheckpoint.ToBody();

        var byOld = oldKey.Sign(body);
        var byNew = newKey.Sign(body);
        var byBoth = newKey.AddSignature(oldKey.Sign(body));

        Assert.True(SignedNote.Verify(byOld, trusted).IsVerified);
        Assert.True(SignedNote.Verify(byNew, trusted).IsVerified);
        var both = SignedNote.Verify(byBoth, trusted);
        Assert.True(both.IsVerified, both.Message);
        Assert.Equal(["log"], both.VerifiedKeyNames);

        // Once the old key is retired, its notes no longer verify but the cosigned one still does.
        Assert.Equal(NoteVerificationError.UnknownKey, SignedNote.Verify(byOld, [newKey.PublicKey]).Error);
        Assert.True(SignedNote.Verify(byBoth, [newKey.PublicKey]).IsVerified);
    }

    [Fact]
    public void Verify_NamesEveryTrustedSigner_AndIgnoresUntrustedCosigners()
    {
        var log = LedgerSigner.Generate("log");
        var witness = LedgerSigner.Generate("witness.example");
        var stranger = LedgerSigner.Generate("stranger");
        var note = stranger.AddSignature(witness.AddSignature(log.Sign(SampleCheckpoint.ToBody())));

        var result = SignedNote.Verify(note, [log.PublicKey, witness.PublicKey]);

        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(["log", "witness.example"], result.VerifiedKeyNames);
    }

    [Fact]
    public void VerifierKey_ParsesKeysWhoseBase64ContainsPlus()
    {
        // transparency-dev/formats note tests: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6".
        const string plusKey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";

        Assert.True(LedgerVerifierKey.TryParse(plusKey, out var key));
        Assert.Equal("TEST", key!.Name);
        Assert.Equal(plusKey, key.ToVerifierString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void VerifierKey_RoundTripsThroughVkeyText_AndRejectsManglings(int attempt)
    {
        // Several random keys, so that base64 with '+' and '/' in it is exercised too.
        _ = attempt;
        var key = LedgerSigner.Generate("skybridge.example/ledger").PublicKey;
        var text = key.ToVerifierString();

        Assert.True(LedgerVerifierKey.TryParse(text, out var parsed));
        Assert.Equal(key, parsed);
        Assert.Matches("^skybridge\\.example/ledger\\+[0-9a-f]{8}\\+A[Q-f]", text);

        Assert.False(LedgerVerifierKey.TryParse("", out _));
        Assert.False(LedgerVerifierKey.TryParse(text[..^4], out _));
        Assert.False(LedgerVerifierKey.TryParse("other" + text[text.IndexOf('+', StringComparison.Ordinal)..], out _));
        Assert.False(LedgerVerifierKey.TryParse(GoVerifierKey.Replace("c74f20a3", "c74f20a4", StringComparison.Ordinal), out _));
        Assert.False(LedgerVerifierKey.TryParse(GoVerifierKey.Replace("+ARpc", "+AhpC", StringComparison.Ordinal), out _));
    }

    [Fact]
    public void Checkpoint_BodyRoundTrips_InTlogCheckpointFormat()
    {
        var body = SampleCheckpoint.ToBody();

        Assert.Equal("skybridge.example/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", body);
        Assert.True(Checkpoint.TryParseBody(body, out var parsed));
        Assert.Equal(SampleCheckpoint, parsed);
        Assert.True(Checkpoint.TryParseBody(body + "extension line\n", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("origin\n8\n")]
    [InlineData("origin\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n-8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")]
    [InlineData("origin\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n")]
    [InlineData("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    [InlineData("origin\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")]
    public void Checkpoint_TryParseBody_RejectsMalformedBodies(string body)
    {
        Assert.False(Checkpoint.TryParseBody(body, out var checkpoint));
        Assert.Null(checkpoint);
    }

    [Fact]
    public void Signer_RejectsInvalidKeyNamesAndBodies()
    {
        Assert.Throws<ArgumentException>(() => LedgerSigner.Generate("has space"));
        Assert.Throws<ArgumentException>(() => LedgerSigner.Generate("has+plus"));
        Assert.Throws<ArgumentException>(() => LedgerSigner.FromPrivateKey("log", new byte[31]));
        Assert.Throws<ArgumentException>(() => LedgerSigner.Generate("log").Sign("no final newline"));
    }
}
