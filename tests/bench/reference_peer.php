<?php
// The reference peer of the ingest benchmark (DESIGN §8): what a Magento-1 installation does
// with the same messages, so ofbridge's figures are ratios measured in one run rather than
// absolute rates on a noisy machine. PHP's own SoapServer, in WSDL mode on the Magento-1 WSDL
// that ofbridge serves (same endpoint, operations, faults and reply text), stores each
// orderflowInventoryMultiUpdate durably before it answers: PDO SQLite, WAL, synchronous=FULL,
// one transaction per request (a request row with its body, and one row per line). Sessions are
// rows too, checked on every call. It is served by `php -S`, PHP's single-threaded built-in
// server, which is the reference: one PHP process doing the whole job in line.
//
//   php reference_peer.php DATA_DIR                 create the store and the WSDL in DATA_DIR
//   REFERENCE_DATA_DIR=DATA_DIR REFERENCE_USERNAME=wms REFERENCE_API_KEY=KEY \
//     php -S 127.0.0.1:0 reference_peer.php         serve /api/v2_soap/ (and ?wsdl)
//
// The PDO connection is persistent (one per server process, reused by every request) and the
// WSDL is cached in memory: the reference at its best, not paying for set-up per request.
declare(strict_types=1);

const WSDL_FILE = 'magento1.wsdl';
const DATABASE_FILE = 'reference.db';
const SESSION_SECONDS = 3600;

function create_store(string $dataDir): void
{
    if (!is_dir($dataDir) && !mkdir($dataDir, 0700, true)) {
        fwrite(STDERR, "cannot create $dataDir\n");
        exit(1);
    }
    // The served document, less the import of the SOAP-ENC schema (PHP knows SOAP-ENC arrays
    // itself, and a single-threaded server cannot fetch a document from itself), with the
    // array parts named as the WMS templates name them (DESIGN §2: ofbridge accepts both
    // spellings; PHP's SoapServer matches parts by name).
    $wsdl = file_get_contents(__DIR__ . '/../../wsdl/magento1.wsdl');
    $wsdl = preg_replace('#<import namespace="http://schemas.xmlsoap.org/soap/encoding/"[^>]*/>#', '', $wsdl);
    $wsdl = str_replace(['"skusQty"', '"skusSeqId"'], ['"skuQty"', '"skuSeqId"'], $wsdl);
    file_put_contents("$dataDir/" . WSDL_FILE, $wsdl);

    $db = new PDO('sqlite:' . "$dataDir/" . DATABASE_FILE, null, null,
                  [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $db->exec('PRAGMA journal_mode = WAL');
    $db->exec(<<<SQL
        CREATE TABLE IF NOT EXISTS sessions (
            secret_hash TEXT PRIMARY KEY,
            username    TEXT NOT NULL,
            expires_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS requests (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            message_key  TEXT NOT NULL,
            body_sha256  TEXT NOT NULL,
            raw_body     TEXT NOT NULL,
            reply        TEXT NOT NULL,
            line_count   INTEGER NOT NULL,
            received_at  TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS requests_redelivery ON requests (message_key, body_sha256);
        CREATE TABLE IF NOT EXISTS inventory_lines (
            request_id INTEGER NOT NULL REFERENCES requests (id),
            line_no    INTEGER NOT NULL,
            sku        TEXT NOT NULL,
            qty        INTEGER NOT NULL,
            seq        INTEGER NOT NULL,
            PRIMARY KEY (request_id, line_no)
        ) WITHOUT ROWID;
        SQL);
}

function store(): PDO
{
    $db = new PDO('sqlite:' . getenv('REFERENCE_DATA_DIR') . '/' . DATABASE_FILE, null, null,
                  [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_PERSISTENT => true]);
    $db->exec('PRAGMA synchronous = FULL');
    $db->exec('PRAGMA busy_timeout = 5000');
    return $db;
}

function utc_now(): string
{
    $now = microtime(true);
    return gmdate('Y-m-d\TH:i:s', (int) $now) . sprintf('.%03dZ', (int) (fmod($now, 1.0) * 1000));
}

// The Magento-1 v2 API handler, reduced to what the benchmark sends. Faults carry Magento's
// codes and texts, as ofbridge's do.
final class MagentoApi
{
    public function __construct(private PDO $db, private string $body)
    {
    }

    public function login($username, $apiKey): string
    {
        if (!is_string($username) || !is_string($apiKey)
            || !hash_equals((string) getenv('REFERENCE_USERNAME'), $username)
            || !hash_equals((string) getenv('REFERENCE_API_KEY'), $apiKey)) {
            throw new SoapFault('2', 'Access denied.');
        }
        $session = bin2hex(random_bytes(32));
        $this->db->prepare('INSERT INTO sessions (secret_hash, username, expires_at) VALUES (?, ?, ?)')
            ->execute([hash('sha256', $session), $username, time() + SESSION_SECONDS]);
        return $session;
    }

    public function endSession($sessionId): bool
    {
        $this->db->prepare('DELETE FROM sessions WHERE secret_hash = ?')
            ->execute([hash('sha256', (string) $sessionId)]);
        return true;
    }

    public function orderflowInventoryMultiUpdate($sessionId, $skuQty, $skuSeqId, $messageSeqId): string
    {
        $this->checkSession($sessionId);
        $quantities = is_array($skuQty) ? $skuQty : [];
        $sequences = is_array($skuSeqId) ? $skuSeqId : [];
        if ($quantities === [] || count($quantities) !== count($sequences)) {
            throw new SoapFault('Client', 'skuQty and skuSeqId must list the same SKUs');
        }
        $lines = [];
        foreach ($quantities as $i => $line) {
            $seq = $sequences[$i] ?? null;
            if (!is_object($line) || !is_object($seq) || !isset($line->key, $line->value, $seq->value)
                || ($seq->key ?? null) !== $line->key || $line->key === '') {
                throw new SoapFault('Client', 'line ' . ($i + 1) . ': skuQty and skuSeqId do not match');
            }
            $lines[] = [$i + 1, (string) $line->key, (int) $line->value, (int) $seq->value];
        }
        $key = $messageSeqId === null ? '' : (string) $messageSeqId;
        $reply = "Success - Message $key Received";
        // Stored as ofbridge stores it: the session id masked, the hash over the masked body.
        $body = str_replace((string) $sessionId, '********', $this->body);
        $bodyHash = hash('sha256', $body);

        $this->db->beginTransaction();
        try {
            $insert = $this->db->prepare('INSERT OR IGNORE INTO requests (message_key, body_sha256, raw_body,'
                . ' reply, line_count, received_at) VALUES (?, ?, ?, ?, ?, ?)');
            $insert->execute([$key, $bodyHash, $body, $reply, count($lines), utc_now()]);
            if ($insert->rowCount() === 1) {  // a re-delivery is acknowledged again, not stored twice
                $requestId = (int) $this->db->lastInsertId();
                $line = $this->db->prepare('INSERT INTO inventory_lines (request_id, line_no, sku, qty, seq)'
                    . ' VALUES (?, ?, ?, ?, ?)');
                foreach ($lines as [$lineNo, $sku, $qty, $seq]) {
                    $line->execute([$requestId, $lineNo, $sku, $qty, $seq]);
                }
            }
            $this->db->commit();
        } catch (Throwable $e) {
            $this->db->rollBack();
            throw new SoapFault('Server', 'The message could not be stored; send it again');
        }
        return $reply;
    }

    private function checkSession($sessionId): void
    {
        $find = $this->db->prepare('SELECT 1 FROM sessions WHERE secret_hash = ? AND expires_at > ?');
        $find->execute([hash('sha256', (string) $sessionId), time()]);
        if ($find->fetchColumn() === false) {
            throw new SoapFault('5', 'Session expired. Try to relogin.');
        }
    }
}

if (PHP_SAPI === 'cli') {
    if ($argc !== 2) {
        fwrite(STDERR, "usage: php reference_peer.php DATA_DIR\n");
        exit(2);
    }
    create_store($argv[1]);
    exit(0);
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path !== '/api/v2_soap/' && $path !== '/index.php/api/v2_soap/') {
    http_response_code(404);
    return;
}
$wsdl = getenv('REFERENCE_DATA_DIR') . '/' . WSDL_FILE;
if ($_SERVER['REQUEST_METHOD'] === 'GET' && isset($_GET['wsdl'])) {
    header('Content-Type: text/xml; charset=utf-8');
    $endpoint = 'http://' . $_SERVER['HTTP_HOST'] . $path;
    echo str_replace('@ENDPOINT@', htmlspecialchars($endpoint, ENT_XML1), file_get_contents($wsdl));
    return;
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    return;
}
$body = file_get_contents('php://input');
$server = new SoapServer($wsdl, ['cache_wsdl' => WSDL_CACHE_MEMORY]);
$server->setObject(new MagentoApi(store(), $body));
$server->handle($body);
