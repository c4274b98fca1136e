//! The web client's words, in one catalogue: Japanese first (the users are Japanese), English
//! as a switch. Templates name a message by its key (`t.s("login.title")`); no text is written
//! into a template itself. A test checks that every key a template uses is here and that every
//! key here is used.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The language of a page, from the `nanbyo_lang` cookie (Japanese unless it says `en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

/// The translator a template holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The message `key` in the page's language. An unknown key shows itself (the catalogue
    /// test fails on it before a user could see it).
    /// The message `key`, when the catalogue has one (for keys made from data, such as an
    /// event's type).
    pub fn maybe(&self, key: &str) -> Option<&'static str> {
        INDEX.get(key).map(|&(ja, en)| match self.lang {
            Lang::Ja => ja,
            Lang::En => en,
        })
    }

    pub fn s(&self, key: &str) -> &'static str {
        match INDEX.get(key) {
            Some(&(ja, en)) => match self.lang {
                Lang::Ja => ja,
                Lang::En => en,
            },
            None => {
                tracing::error!(key, "a message missing from the catalogue");
                "?"
            }
        }
    }

    /// One of two texts that came with the data in both languages (a domain message).
    pub fn pick<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    pub fn is_ja(&self) -> bool {
        self.lang == Lang::Ja
    }
}

static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| CATALOGUE.iter().map(|&(k, ja, en)| (k, (ja, en))).collect());

/// Every message: key, Japanese, English.
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    // The frame of every page.
    ("app.name", "難病・小慢データベース", "Nanbyo / Shoman registry"),
    ("app.skip", "本文へ移動", "Skip to the content"),
    ("app.lang_switch", "English", "日本語"),
    ("app.logout", "ログアウト", "Log out"),
    ("app.me", "アカウント", "My account"),
    ("app.footer", "難病・小児慢性特定疾病 医療費助成・データ登録システム", "Registry of the designated intractable and pediatric chronic diseases"),
    ("nav.label", "メニュー", "Menu"),
    ("nav.forms", "臨個票・意見書", "Forms"),
    ("nav.new_form", "新規作成", "New form"),
    ("nav.affiliations", "兼務先", "Secondary institutions"),
    ("nav.imports", "一括取込", "Bulk import"),
    ("nav.clerks", "クラーク登録", "Clerk accounts"),
    ("program.nanbyo", "難病", "Nanbyo"),
    ("program.shoman", "小慢", "Shoman"),
    ("role.designated_doctor", "指定医", "Designated doctor"),
    ("role.clerk", "クラーク（代行入力者）", "Clerk"),
    ("role.responsible_person", "責任者", "Responsible person"),
    ("role.municipality_admin", "自治体職員（管理者）", "Municipality administrator"),
    ("role.municipality_staff", "自治体職員（一般）", "Municipality staff"),
    ("role.operator", "システム運営主体", "Operator"),
    ("role.auditor", "監査", "Auditor"),
    ("role.system", "システム", "System"),
    ("form.required", "必須", "Required"),
    ("form.optional", "任意", "Optional"),
    // Errors and messages shown anywhere.
    ("error.summary", "入力内容を確認してください", "Check what you entered"),
    ("error.not_found.title", "ページが見つかりません", "Page not found"),
    ("error.not_found.body", "お探しのページは存在しないか、閲覧する権限がありません。", "The page does not exist, or it is not yours to see."),
    ("error.forbidden.title", "この操作はできません", "Not permitted"),
    ("error.csrf.body", "画面の有効期限が切れたか、別の画面から送信されました。画面を開き直して、もう一度操作してください。", "The page has expired or the request came from another page. Open the page again and repeat the action."),
    ("error.internal.title", "エラーが発生しました", "Something went wrong"),
    ("error.internal.body", "システム内部でエラーが発生しました。しばらくしてから再度お試しください。", "An internal error occurred. Please try again later."),
    ("error.back_home", "トップへ戻る", "Back to the start"),
    ("session.expired.title", "ログインの有効期限が切れました", "Your session has expired"),
    ("session.expired.body", "安全のため、一定時間が経過したかログアウトしたため、ログインが解除されました。もう一度ログインしてください。", "For your safety the session ended (it expired, or you logged out). Please log in again."),
    ("session.login_again", "ログイン画面へ", "Go to the login page"),
    // Login and password.
    ("login.title", "ログイン", "Log in"),
    ("login.lead", "発行されたログインIDとパスワードを入力してください。", "Enter the login ID and the password you were given."),
    ("login.id", "ログインID", "Login ID"),
    ("login.id_help", "12文字の英数字です（例：N7K2M9QX4T3P）。", "12 letters and digits (e.g. N7K2M9QX4T3P)."),
    ("login.password", "パスワード", "Password"),
    ("login.submit", "ログインする", "Log in"),
    ("login.invalid", "ログインIDまたはパスワードが正しくありません。", "The login ID or the password is wrong."),
    ("login.required", "ログインIDとパスワードを入力してください。", "Enter the login ID and the password."),
    ("login.suspended", "このアカウントは停止されています。管理者にお問い合わせください。", "This account is suspended; ask its administrator."),
    ("login.locked", "ログインに続けて失敗したため、次の時刻までログインできません：", "Too many failed logins. You can log in again at:"),
    ("login.logged_out", "ログアウトしました。", "You have logged out."),
    ("password.title", "パスワードの変更", "Change the password"),
    ("password.must_change", "発行されたパスワードのままです。ご利用の前に、ご自身のパスワードに変更してください。", "You are using the password you were given. Choose your own before you go on."),
    ("password.current", "現在のパスワード", "Current password"),
    ("password.new", "新しいパスワード", "New password"),
    ("password.new_help", "12文字以上で、英大文字・英小文字・数字のうち3種類以上を含めてください。ログインIDは含められません。", "At least 12 characters with three of: capitals, small letters, digits. It may not contain the login ID."),
    ("password.confirm", "新しいパスワード（確認）", "New password (again)"),
    ("password.mismatch", "確認用のパスワードが一致しません。", "The two new passwords differ."),
    ("password.submit", "変更する", "Change"),
    ("password.changed", "パスワードを変更しました。", "The password was changed."),
    // My account.
    ("me.title", "アカウント情報", "My account"),
    ("me.name", "氏名", "Name"),
    ("me.login_id", "ログインID", "Login ID"),
    ("me.program", "制度", "Program"),
    ("me.role", "役割", "Role"),
    ("me.designation", "指定医番号", "Designation"),
    ("me.valid", "有効期間", "Valid"),
    ("me.primary", "主たる勤務先", "Primary institution"),
    ("me.secondary", "兼務先", "Secondary institutions"),
    ("me.responsible_for", "責任者を務める医療機関", "Responsible person of"),
    ("me.jurisdiction", "所属自治体", "Municipality"),
    ("me.institutions", "作成できる医療機関", "Institutions you work for"),
    ("me.pending_switch", "医療機関コードの切替予定（次回ログイン時に反映）", "Institution code switch (takes effect at the next login)"),
    ("me.none", "なし", "None"),
    ("me.change_password", "パスワードを変更する", "Change the password"),
    ("affiliations.title", "兼務先", "Secondary institutions"),
    ("affiliations.apply", "兼務先を申請する", "Apply to a secondary institution"),
    ("affiliations.institution", "医療機関コード", "Institution code"),
    ("affiliations.institution_help", "10桁（都道府県2桁・点数表1桁・機関7桁）", "10 digits (prefecture 2, table 1, institution 7)"),
    ("affiliations.apply_button", "申請する", "Apply"),
    ("affiliations.bad_code", "医療機関コードは検証番号を含む10桁の数字です。", "An institution code is 10 digits with a valid check digit."),
    ("affiliations.mine", "自分の申請", "My applications"),
    ("affiliations.to_decide", "自院への申請", "Applications to my institution"),
    ("affiliations.none", "申請はありません。", "No applications."),
    ("affiliations.status", "状態", "Status"),
    ("affiliations.requested", "申請日時", "Applied"),
    ("affiliations.decided", "決定日時", "Decided"),
    ("affiliations.action", "操作", "Action"),
    ("affiliations.doctor", "医師", "Doctor"),
    ("affiliations.doctor_number", "指定医番号", "Designation number"),
    ("affiliations.reason", "理由（却下・取消は必須）", "Reason (required to reject or revoke)"),
    ("affiliations.approve", "承認", "Approve"),
    ("affiliations.reject", "却下", "Reject"),
    ("affiliations.revoke", "取消", "Revoke"),
    ("affiliations.done_applied", "申請しました。責任者の承認をお待ちください。", "Applied. The institution's responsible person decides."),
    ("affiliations.done_approved", "承認しました。", "Approved."),
    ("affiliations.done_rejected", "却下しました。", "Rejected."),
    ("affiliations.done_revoked", "取り消しました。", "Revoked."),
    ("history.title", "履歴", "History"),
    ("history.back", "入力画面へ戻る", "Back to the form"),
    ("history.lead", "この臨個票に誰が、いつ、どの立場で、なぜ何をしたか。閲覧も記録されます。", "Who did what to this form, when, in which role and why. Reads are recorded too."),
    ("history.at", "日時", "When"),
    ("history.action", "操作", "Action"),
    ("history.actor", "操作者", "By"),
    ("history.version", "版", "Version"),
    ("history.reason", "理由", "Reason"),
    ("history.changes", "変更内容（変更前 → 変更後）", "Changes (before → after)"),
    ("history.hidden", "行政記載欄（表示されません）", "Administrative fields (not shown)"),
    ("history.empty", "（空欄）", "(empty)"),
    ("event.FormDrafted", "作成", "Drafted"),
    ("event.ItemsEdited", "項目の入力・修正", "Items edited"),
    ("event.JudgmentRecorded", "機械判定", "Machine judgment"),
    ("event.FormSubmitted", "提出", "Submitted"),
    ("event.FormReceived", "受付", "Received"),
    ("event.DataCorrected", "データ修正", "Data corrected"),
    ("event.AdministrativeFieldsRecorded", "行政記載欄の記入", "Administrative fields recorded"),
    ("event.ReviewResultRecorded", "審査結果", "Review result"),
    ("event.FormWithdrawn", "取下げ", "Withdrawn"),
    ("event.PatientDataChanged", "患者情報の修正", "Patient data changed"),
    ("event.FormRead", "閲覧", "Read"),
    ("imports.title", "一括取込", "Bulk import"),
    ("imports.lead", "電子カルテ等から出力した臨個票のファイル（CSV・Excel・JSON Lines）をまとめて登録します。行ごとの結果を確認できます。", "Register many forms at once from a file exported by the hospital's systems (CSV, Excel, JSON Lines); each row's result is shown."),
    ("imports.upload", "ファイルを取り込む", "Upload a file"),
    ("imports.file", "取込ファイル", "File"),
    ("imports.file_help", "様式は docs/imports.md（病院からの取込）のとおり。1行が1件の臨個票です。", "The format of docs/imports.md (hospital import): one form per row."),
    ("imports.upload_button", "取り込む", "Import"),
    ("imports.jobs", "取込の履歴", "Imports"),
    ("imports.none", "取込はまだありません。", "No imports yet."),
    ("imports.col_file", "ファイル", "File"),
    ("imports.col_received", "受付日時", "Received"),
    ("imports.col_status", "状態", "Status"),
    ("imports.col_progress", "進捗（処理済 / 全行）", "Progress (done / rows)"),
    ("imports.applied", "登録", "Applied"),
    ("imports.unchanged", "変更なし", "Unchanged"),
    ("imports.rejected", "エラー", "Rejected"),
    ("imports.status_received", "検証中", "Validating"),
    ("imports.status_applying", "登録中", "Applying"),
    ("imports.status_finished", "完了", "Finished"),
    ("imports.status_failed", "失敗", "Failed"),
    ("imports.job_title", "取込の結果", "Import result"),
    ("imports.back", "取込の一覧へ戻る", "Back to the imports"),
    ("imports.running", "処理中です。この画面は自動で更新されます。", "Running; this page refreshes by itself."),
    ("imports.rows", "行ごとの結果", "Rows"),
    ("imports.all", "すべて", "All"),
    ("imports.csv", "結果をCSVでダウンロード", "Download the results (CSV)"),
    ("imports.no_rows", "該当する行はありません。", "No rows."),
    ("imports.col_row", "行", "Row"),
    ("imports.col_outcome", "結果", "Outcome"),
    ("imports.col_form", "臨個票", "Form"),
    ("imports.col_errors", "エラー", "Errors"),
    ("imports.open_form", "開く", "Open"),
    ("imports.next", "次の100行", "Next 100 rows"),
    ("clerks.title", "クラーク登録", "Clerk accounts"),
    ("clerks.lead", "自院のクラーク（代行入力者）のアカウントを登録します。クラークは下書きの入力のみ行い、提出はできません", "Register clerks (data-entry assistants) of your institution. A clerk enters drafts and never submits them"),
    ("clerks.new", "クラークを登録する", "Register a clerk"),
    ("clerks.name", "氏名", "Name"),
    ("clerks.create", "登録する", "Register"),
    ("clerks.issued", "登録しました。次のログインIDと初期パスワードを本人に伝えてください。", "Registered. Give this login ID and initial password to the clerk."),
    ("clerks.password", "初期パスワード", "Initial password"),
    ("clerks.issued_once", "初期パスワードはこの一度しか表示されません。初回ログイン時に変更が求められます。", "The initial password is shown this once; it must be changed at the first login."),
    ("clerks.list", "登録済みのクラーク", "Clerks"),
    ("clerks.none", "クラークは登録されていません。", "No clerks yet."),
    ("clerks.status", "状態", "Status"),
    ("account_status.active", "有効", "Active"),
    ("account_status.suspended", "停止中", "Suspended"),
    ("affiliation.pending", "申請中", "pending"),
    ("affiliation.approved", "承認済", "approved"),
    ("affiliation.rejected", "却下", "rejected"),
    ("affiliation.revoked", "取消", "revoked"),
    ("form.cancel", "キャンセル", "Cancel"),
    // Statuses, outcomes, kinds.
    ("status.draft", "作成中", "Draft"),
    ("status.submitted", "提出済", "Submitted"),
    ("status.received", "受付済", "Received"),
    ("status.decided", "審査済", "Decided"),
    ("status.withdrawn", "取下げ", "Withdrawn"),
    ("status.", "—", "—"),
    ("outcome.meets", "基準を満たす", "Meets the criteria"),
    ("outcome.does_not_meet", "基準を満たさない", "Does not meet the criteria"),
    ("outcome.undeterminable", "判定不能（未入力あり）", "Undeterminable (items missing)"),
    ("outcome.municipality", "自治体で判定", "Judged by the municipality"),
    ("outcome.none", "未判定", "Not judged yet"),
    ("criterion.met", "満たす", "met"),
    ("criterion.not_met", "満たさない", "not met"),
    ("criterion.unknown", "判定できない", "cannot be judged"),
    ("criterion.not_judged", "機械判定なし（自治体で判定）", "not machine-judged (the municipality judges)"),
    ("application.new", "新規", "New"),
    ("application.renewal", "更新", "Renewal"),
    ("purpose.subsidy", "医療費助成", "Medical-expense subsidy"),
    ("purpose.registrant_certificate_only", "登録者証のみ", "Registrant certificate only"),
    // The worklist.
    ("forms.title", "臨床調査個人票・医療意見書", "Clinical survey forms"),
    ("forms.lead", "所属医療機関の臨個票・意見書です。疾病・カナ氏名・生年月日で絞り込めます。", "The forms of your institutions; narrow them down by disease, kana name or birth date."),
    ("forms.search", "臨個票の検索", "Search forms"),
    ("forms.disease", "疾病", "Disease"),
    ("forms.all", "すべて", "All"),
    ("forms.kana", "氏名（カナ）", "Name (kana)"),
    ("forms.kana_help", "先頭から一致（空白は無視）", "Matches from the start (spaces ignored)"),
    ("forms.birth_date", "生年月日", "Birth date"),
    ("forms.search_button", "絞り込む", "Search"),
    ("forms.counts", "状態ごとの件数", "Forms by status"),
    ("forms.table", "臨個票・意見書の一覧", "Forms"),
    ("forms.col_status", "状態", "Status"),
    ("forms.col_disease", "疾病", "Disease"),
    ("forms.col_kana", "氏名（カナ）", "Name (kana)"),
    ("forms.col_birth", "生年月日", "Birth date"),
    ("forms.col_application", "区分", "Kind"),
    ("forms.col_outcome", "一次判定", "Primary judgment"),
    ("forms.col_updated", "更新日時", "Updated"),
    ("forms.col_institution", "医療機関", "Institution"),
    ("forms.none", "該当する臨個票はありません。", "No form matches."),
    ("forms.next_page", "次のページ", "Next page"),
    // A new form.
    ("new_form.title", "臨個票・意見書の新規作成", "New form"),
    ("new_form.lead", "疾病と患者を入力して作成します。作成後、項目を入力すると機械判定が表示されます。", "Choose the disease and enter the patient; once created, the machine judgment follows the items you enter."),
    ("new_form.disease", "疾病", "Disease"),
    ("new_form.find_disease", "疾病を探す", "Find the disease"),
    ("new_form.find_help", "病名・告示番号・疾患群で検索できます。", "Search by name, number or disease group."),
    ("new_form.find_button", "検索", "Search"),
    ("new_form.no_disease", "該当する疾病がありません。", "No disease matches."),
    ("new_form.more_diseases", "他にも該当があります。検索語を追加して絞り込んでください。", "More diseases match; add to the search to narrow it down."),
    ("new_form.choose_disease", "疾病を選んでください。", "Choose the disease."),
    ("new_form.kind", "申請の種類", "Kind of application"),
    ("new_form.application", "新規・更新", "New or renewal"),
    ("new_form.purpose", "申請の目的", "Purpose"),
    ("new_form.purpose_help", "登録者証のみの場合、診断基準の判定のみ行います。", "For the registrant certificate only the diagnostic criteria are judged."),
    ("new_form.institution", "医療機関", "Institution"),
    ("new_form.bad_institution", "医療機関を選んでください。", "Choose the institution."),
    ("new_form.jurisdiction", "提出先（実施主体）", "Implementing body"),
    ("new_form.jurisdiction_help", "患者の住所地の都道府県または指定都市です。", "The prefecture or designated city of the patient's address."),
    ("new_form.bad_jurisdiction", "提出先を選んでください。", "Choose the implementing body."),
    ("new_form.patient", "患者情報", "Patient"),
    ("new_form.carry_over", "前回値踏襲", "Carry over"),
    ("new_form.carry_over_help", "同じ患者・同じ疾病の前回の臨個票の内容から作成します（氏名・生年月日・性別が一致するもの）。", "Start from the patient's previous form of the same disease (same name, birth date and sex)."),
    ("new_form.carry_over_none", "白紙から作成", "Start empty"),
    ("new_form.carry_over_latest", "前回の臨個票から作成", "Start from the previous form"),
    ("new_form.bad_municipality", "市区町村コード（6桁）を正しく入力してください。", "Enter the 6-digit municipality code."),
    ("new_form.choose_sex", "性別を選んでください。", "Choose the sex."),
    ("new_form.consent", "研究利用への同意", "Consent to research use"),
    ("new_form.consent_yes", "患者が研究利用に同意している", "The patient consents to research use"),
    ("new_form.create", "作成する", "Create"),
    ("patient.name_kanji", "氏名", "Name"),
    ("patient.name_kanji_help", "戸籍どおりの漢字で入力してください（50文字以内）。", "As registered, in kanji (at most 50 characters)."),
    ("patient.name_kana", "氏名（カナ）", "Name (kana)"),
    ("patient.name_kana_help", "全角カタカナで入力してください。姓と名の間は空白。", "Full-width katakana, a space between family and given name."),
    ("patient.birth_date", "生年月日", "Birth date"),
    ("patient.sex", "性別", "Sex"),
    ("patient.male", "男", "Male"),
    ("patient.female", "女", "Female"),
    ("patient.address", "住所", "Address"),
    ("patient.municipality", "市区町村コード", "Municipality code"),
    ("patient.municipality_help", "住所地の全国地方公共団体コード（6桁、例：小樽市 012033）", "The 6-digit code of the municipality of the address (e.g. 012033 Otaru)"),
    ("patient.insurer_number", "保険者番号", "Insurer number"),
    ("patient.insurer_number_help", "8桁（国民健康保険は6桁）", "8 digits (6 for National Health Insurance)"),
    ("patient.insured_symbol_number", "被保険者証の記号・番号", "Insured symbol and number"),
    // The form entry.
    ("entry.title", "臨個票の入力", "Form entry"),
    ("entry.back", "一覧へ戻る", "Back to the list"),
    ("entry.status", "状態", "Status"),
    ("entry.paper", "（紙・旧様式）", "(paper, old version)"),
    ("entry.kind", "区分", "Kind"),
    ("entry.patient", "患者", "Patient"),
    ("entry.institution", "医療機関", "Institution"),
    ("entry.version", "版", "Version"),
    ("entry.created", "臨個票を作成しました。項目を入力してください。", "The form was created; enter its items."),
    ("entry.saved", "保存しました。", "Saved."),
    ("entry.saved_at", "保存しました", "Saved at"),
    ("entry.unchanged", "変更された項目はありません。", "Nothing changed."),
    ("entry.not_saved", "入力に誤りがあるため保存していません。", "Not saved: some values are not valid."),
    ("entry.previewed", "入力中の値で判定しています（未保存）", "Judged with what you are typing (not saved)"),
    ("entry.submitted", "提出しました。アクセスキー付きの臨個票を印刷して患者にお渡しください。", "Submitted. Print the form with its access key for the patient."),
    ("entry.autosave", "各項目は入力欄を離れると保存されます。", "Each item is saved when you leave its field."),
    ("entry.reason", "変更の理由", "Reason for the change"),
    ("entry.reason_help", "提出後の変更には理由が必要です。", "A change after submission needs a reason."),
    ("entry.save", "保存する", "Save"),
    ("entry.when_applicable", "該当する場合", "when applicable"),
    ("entry.auto", "自動入力", "automatic"),
    ("entry.yes", "はい", "Yes"),
    ("entry.no", "いいえ", "No"),
    ("entry.choose", "選択してください", "Choose"),
    ("entry.or_more", " 以上", " or more"),
    ("entry.or_less", " 以下", " or less"),
    ("entry.chars_at_most", " 文字以内", " characters at most"),
    ("entry.access_key", "アクセスキー", "Access key"),
    ("entry.access_key_help", "患者は印刷した臨個票（またはアクセスキー票）を申請書に添えて提出します。自治体はこのキーで臨個票を受け付けます。", "The patient hands in the printed form (or the key slip) with the application; the municipality receives the form by this key."),
    ("entry.print", "アクセスキー付き臨個票を印刷", "Print the form with its access key"),
    ("entry.print_slip", "アクセスキー票を印刷", "Print the key slip"),
    ("entry.carried_over_dropped", "前回の臨個票から引き継げなかった項目：", "Items not carried over from the previous form:"),
    ("entry.actions", "操作", "Actions"),
    ("entry.submit_help", "提出するとアクセスキーが発行されます。提出後の変更には理由が必要です。", "Submitting issues the access key; later changes need a reason."),
    ("entry.submit", "提出する", "Submit"),
    ("entry.cannot_submit", "提出できません：", "Cannot submit:"),
    ("entry.history", "変更履歴を見る", "See the history"),
    ("entry.conflict_title", "他の利用者が先に変更を保存しました", "Someone else saved a change first"),
    ("entry.conflict_body", "あなたの変更は保存されていません。現在の内容を確認してから、もう一度入力してください。", "Your change was not saved. Review the current form, then enter it again."),
    ("entry.conflict_line", "他の利用者の変更があるため保存していません", "Not saved: someone else changed the form"),
    ("entry.conflict_item", "項目", "Item"),
    ("entry.conflict_then", "あなたが見ていた値", "What you saw"),
    ("entry.conflict_now", "現在の値", "Now"),
    ("entry.reload", "最新の内容を表示する", "Show the current form"),
    ("section.basic", "基本情報", "Basic information"),
    ("section.diagnosis", "診断基準に関する事項", "Diagnostic criteria"),
    ("section.severity", "重症度分類に関する事項", "Severity classification"),
    ("section.findings", "症状の概要・経過・特記すべき事項", "Symptoms, course, remarks"),
    ("section.treatment", "治療その他", "Treatment and other"),
    ("section.consent", "同意・その他", "Consent and other"),
    ("judgment.title", "機械判定（一次判定）", "Machine judgment"),
    ("print.title_nanbyo", "臨床調査個人票（アクセスキー付き）", "Clinical survey form with its access key"),
    ("print.title_shoman", "医療意見書（アクセスキー付き）", "Medical opinion form with its access key"),
    ("print.title_slip", "アクセスキー票", "Access key slip"),
    ("print.back", "入力画面へ戻る", "Back to the form"),
    ("print.print", "印刷する", "Print"),
    ("print.disease", "疾病名", "Disease"),
    ("print.created", "作成年月日", "Written on"),
    ("print.diagnosed", "診断年月", "Diagnosed"),
    ("print.doctor", "記載医師", "Doctor"),
    ("judgment.diagnosis", "診断基準", "Diagnostic criteria"),
    ("judgment.severity", "重症度基準", "Severity criteria"),
    ("judgment.judged_on", "判定日", "Judged on"),
    ("judgment.transitional", "経過措置の基準で判定", "Met under transitional criteria"),
    ("judgment.missing", "判定に必要な未入力項目", "Items the judgment still needs"),
    ("judgment.problems", "確認が必要な項目", "Items to check"),
    ("judgment.filled", "自動入力された項目", "Items filled in automatically"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_once_in_the_catalogue_with_both_languages() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, ja, en) in CATALOGUE {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!ja.is_empty() && !en.is_empty(), "{k} without a language");
        }
    }
}
