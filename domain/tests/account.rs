//! The account, given / when / then: who creates whom, who manages a password or a suspension,
//! who decides a secondary affiliation (兼務先), who switches an institution code
//! (医療機関一括更新), and which events each command produces.

use domain::account::{
    Account, AccountAction, AccountCommand, AccountError, AccountEvent, AccountStatus,
    AffiliationStatus, DesignationRecord, NewAccount,
};
use domain::form::{Actor, Designation};
use domain::{
    Aggregate, DomainEvent, EventCatalog, InstitutionCode, LocalGovernmentCode, Program, Role,
};

/// Two institutions in Hokkaido and one in Tokyo.
const HOSPITAL: &str = "0110113719";
const NEIGHBOUR: &str = "0110113727";
const TOKYO_HOSPITAL: &str = "1310112345";
const HOKKAIDO: &str = "010006";
const SAPPORO: &str = "011002";
const TOKYO: &str = "130001";
const TODAY: &str = "2024-06-01";
const DOCTOR_NUMBER: &str = "N-0001";

fn code(c: &str) -> InstitutionCode {
    InstitutionCode::parse(c).expect("institution code")
}

/// Parsing checks the check digit, so a typo in a constant fails here, not in a rule.
fn gov(c: &str) -> LocalGovernmentCode {
    LocalGovernmentCode::parse(c).expect("local government code")
}

// ---- actors -------------------------------------------------------------------------------

fn actor(account: &str, role: Role) -> Actor {
    Actor {
        account: account.into(),
        role,
        program: Program::Nanbyo,
        institutions: vec![],
        jurisdiction: None,
        designation: None,
        responsible_for: None,
    }
}

fn operator() -> Actor {
    actor("operator-1", Role::Operator)
}

fn system() -> Actor {
    actor("system", Role::System)
}

fn municipality(role: Role, jurisdiction: &str) -> Actor {
    Actor {
        jurisdiction: Some(gov(jurisdiction)),
        ..actor(&format!("{}-{jurisdiction}", role.as_str()), role)
    }
}

fn admin(jurisdiction: &str) -> Actor {
    municipality(Role::MunicipalityAdmin, jurisdiction)
}

fn responsible_person(institution: &str) -> Actor {
    Actor {
        institutions: vec![code(institution)],
        responsible_for: Some(code(institution)),
        ..actor(
            &format!("responsible-{institution}"),
            Role::ResponsiblePerson,
        )
    }
}

fn in_program(mut actor: Actor, program: Program) -> Actor {
    actor.program = program;
    actor
}

/// The actor an existing account acts as today.
fn as_self(account: &Account) -> Actor {
    account.actor(TODAY).expect("the account exists")
}

// ---- profiles -----------------------------------------------------------------------------

fn profile(login_id: &str, role: Role) -> NewAccount {
    NewAccount {
        login_id: login_id.into(),
        role,
        program: Program::Nanbyo,
        display_name: "北海 花子".into(),
        designation: None,
        primary_institution: None,
        responsible_for: None,
        jurisdiction: None,
    }
}

fn admin_profile(jurisdiction: &str) -> NewAccount {
    NewAccount {
        jurisdiction: Some(gov(jurisdiction)),
        ..profile("admin-010006", Role::MunicipalityAdmin)
    }
}

fn staff_profile(jurisdiction: &str) -> NewAccount {
    NewAccount {
        jurisdiction: Some(gov(jurisdiction)),
        ..profile("staff-010006", Role::MunicipalityStaff)
    }
}

fn designation(number: &str) -> DesignationRecord {
    DesignationRecord {
        number: number.into(),
        kind: Designation::Nanbyo,
        valid_from: "2024-04-01".into(),
        valid_to: Some("2029-03-31".into()),
    }
}

fn doctor_profile(institution: &str) -> NewAccount {
    NewAccount {
        designation: Some(designation(DOCTOR_NUMBER)),
        primary_institution: Some(code(institution)),
        ..profile("doctor-n0001", Role::DesignatedDoctor)
    }
}

fn responsible_profile(institution: &str) -> NewAccount {
    NewAccount {
        primary_institution: Some(code(institution)),
        responsible_for: Some(code(institution)),
        ..profile("responsible-1", Role::ResponsiblePerson)
    }
}

fn clerk_profile(institution: &str) -> NewAccount {
    NewAccount {
        primary_institution: Some(code(institution)),
        ..profile("clerk-0001", Role::Clerk)
    }
}

// ---- commands -----------------------------------------------------------------------------

fn cmd(actor: Actor, action: AccountAction) -> AccountCommand {
    AccountCommand {
        actor,
        reason: None,
        action,
    }
}

fn with_reason(actor: Actor, action: AccountAction) -> AccountCommand {
    AccountCommand {
        reason: Some("本人からの申し出".into()),
        ..cmd(actor, action)
    }
}

fn create(actor: Actor, id: &str, new: NewAccount) -> AccountCommand {
    cmd(
        actor,
        AccountAction::Create {
            id: id.into(),
            account: Box::new(new),
        },
    )
}

fn switch(from: &str, to: &str) -> AccountAction {
    AccountAction::ScheduleSwitch {
        from: code(from),
        to: code(to),
    }
}

// ---- given / then -------------------------------------------------------------------------

/// When the command, then the new events: each one accepted by the store's validation, and
/// applied to the state.
fn decide_ok(state: &Account, command: &AccountCommand) -> (Account, Vec<AccountEvent>) {
    let events = state.decide(command).expect("accepted");
    let catalog = EventCatalog::registry();
    for e in &events {
        let (t, v, payload) = e.to_payload().expect("payload");
        catalog
            .validate(&t, v, &payload)
            .expect("every event passes the store's validation");
    }
    let next = events.iter().fold(state.clone(), |s, e| s.apply(e));
    (next, events)
}

fn refused(state: &Account, command: &AccountCommand) -> AccountError {
    match state.decide(command) {
        Err(e) => e,
        Ok(events) => panic!("expected a refusal, got {events:?}"),
    }
}

fn forbidden(state: &Account, command: &AccountCommand) -> bool {
    matches!(refused(state, command), AccountError::Forbidden(_))
}

fn invalid(state: &Account, command: &AccountCommand) -> bool {
    matches!(refused(state, command), AccountError::Invalid(_))
}

/// An account created by whoever may create it.
fn given(creator: Actor, id: &str, new: NewAccount) -> Account {
    decide_ok(&Account::default(), &create(creator, id, new)).0
}

fn doctor_id() -> String {
    Account::doctor_id(Program::Nanbyo, DOCTOR_NUMBER)
}

fn doctor_at(institution: &str) -> Account {
    given(admin(HOKKAIDO), &doctor_id(), doctor_profile(institution))
}

fn doctor() -> Account {
    doctor_at(HOSPITAL)
}

fn hokkaido_admin_account() -> Account {
    given(operator(), "admin-1", admin_profile(HOKKAIDO))
}

fn staff() -> Account {
    given(admin(HOKKAIDO), "staff-1", staff_profile(HOKKAIDO))
}

/// The doctor has applied to work at NEIGHBOUR too.
fn applied() -> Account {
    let d = doctor();
    let request = cmd(
        as_self(&d),
        AccountAction::RequestAffiliation {
            institution: code(NEIGHBOUR),
        },
    );
    decide_ok(&d, &request).0
}

fn decide_affiliation(actor: Actor, approve: bool) -> AccountCommand {
    cmd(
        actor,
        AccountAction::DecideAffiliation {
            institution: code(NEIGHBOUR),
            approve,
        },
    )
}

/// NEIGHBOUR's responsible person has approved the application.
fn affiliated() -> Account {
    decide_ok(
        &applied(),
        &decide_affiliation(responsible_person(NEIGHBOUR), true),
    )
    .0
}

fn revoke(actor: Actor) -> AccountCommand {
    with_reason(
        actor,
        AccountAction::RevokeAffiliation {
            institution: code(NEIGHBOUR),
        },
    )
}

// ---- creation -----------------------------------------------------------------------------

#[test]
fn the_operator_creates_a_municipality_admin_with_an_initial_password() {
    let new = admin_profile(HOKKAIDO);
    let (state, events) = decide_ok(
        &Account::default(),
        &create(operator(), "admin-1", new.clone()),
    );
    assert_eq!(
        events,
        [
            AccountEvent::AccountCreated {
                id: "admin-1".into(),
                account: new.clone(),
            },
            AccountEvent::PasswordIssued {},
        ]
    );
    assert_eq!(state.id, "admin-1");
    assert_eq!(state.profile, Some(new));
    assert!(state.must_change_password);
    assert_eq!(state.status, AccountStatus::Active);
}

#[test]
fn the_operator_creates_operators_and_auditors_but_no_doctor_staff_or_clerk() {
    for (role, login) in [(Role::Operator, "operator-2"), (Role::Auditor, "auditor-1")] {
        let (state, _) = decide_ok(
            &Account::default(),
            &create(operator(), login, profile(login, role)),
        );
        assert_eq!(state.profile.map(|p| p.role), Some(role));
    }
    for new in [
        doctor_profile(HOSPITAL),
        staff_profile(HOKKAIDO),
        responsible_profile(HOSPITAL),
        clerk_profile(HOSPITAL),
    ] {
        assert!(
            forbidden(&Account::default(), &create(operator(), "x-1", new.clone())),
            "{new:?}"
        );
    }
}

#[test]
fn a_municipality_admin_creates_staff_only_of_its_own_jurisdiction() {
    decide_ok(
        &Account::default(),
        &create(admin(HOKKAIDO), "staff-1", staff_profile(HOKKAIDO)),
    );
    // Another prefecture, and a designated city inside its own prefecture, are not its own.
    for other in [TOKYO, SAPPORO] {
        assert!(forbidden(
            &Account::default(),
            &create(admin(HOKKAIDO), "staff-1", staff_profile(other)),
        ));
    }
    // Staff create nobody; admins do not create admins.
    assert!(forbidden(
        &Account::default(),
        &create(
            municipality(Role::MunicipalityStaff, HOKKAIDO),
            "staff-1",
            staff_profile(HOKKAIDO)
        ),
    ));
    assert!(forbidden(
        &Account::default(),
        &create(admin(HOKKAIDO), "admin-2", admin_profile(HOKKAIDO)),
    ));
}

#[test]
fn a_municipality_admin_creates_doctors_and_responsible_persons_only_in_its_prefecture() {
    // A prefecture, and a designated city in it, act for the institutions of the prefecture.
    for (jurisdiction, institution) in [
        (HOKKAIDO, HOSPITAL),
        (SAPPORO, NEIGHBOUR),
        (TOKYO, TOKYO_HOSPITAL),
    ] {
        for new in [
            doctor_profile(institution),
            responsible_profile(institution),
        ] {
            decide_ok(
                &Account::default(),
                &create(admin(jurisdiction), "x-1", new),
            );
        }
    }
    for (jurisdiction, institution) in [
        (HOKKAIDO, TOKYO_HOSPITAL),
        (SAPPORO, TOKYO_HOSPITAL),
        (TOKYO, HOSPITAL),
    ] {
        for new in [
            doctor_profile(institution),
            responsible_profile(institution),
        ] {
            assert!(forbidden(
                &Account::default(),
                &create(admin(jurisdiction), "x-1", new),
            ));
        }
    }
    // Clerks are the responsible person's to register, not the municipality's.
    assert!(forbidden(
        &Account::default(),
        &create(admin(HOKKAIDO), "x-1", clerk_profile(HOSPITAL)),
    ));
}

#[test]
fn an_actor_of_the_other_program_cannot_create_and_does_not_see_existing_accounts() {
    let shoman_operator = in_program(operator(), Program::Shoman);
    assert!(forbidden(
        &Account::default(),
        &create(shoman_operator.clone(), "admin-1", admin_profile(HOKKAIDO)),
    ));
    // A Shoman admin cannot create a Nanbyo doctor of its own prefecture either.
    assert!(forbidden(
        &Account::default(),
        &create(
            in_program(admin(HOKKAIDO), Program::Shoman),
            "x-1",
            doctor_profile(HOSPITAL)
        ),
    ));

    let existing = hokkaido_admin_account();
    for action in [
        AccountAction::ResetPassword,
        AccountAction::Suspend,
        AccountAction::ChangePassword,
    ] {
        assert_eq!(
            refused(&existing, &with_reason(shoman_operator.clone(), action)),
            AccountError::NotFound
        );
    }
    // Even the account's own id, logged in to the other program, does not see it.
    let mut same_id = in_program(as_self(&existing), Program::Shoman);
    same_id.account = existing.id.clone();
    assert_eq!(
        refused(&existing, &cmd(same_id, AccountAction::ChangePassword)),
        AccountError::NotFound
    );
}

#[test]
fn commands_on_an_account_that_does_not_exist_are_not_found() {
    assert_eq!(
        refused(
            &Account::default(),
            &cmd(operator(), AccountAction::ResetPassword)
        ),
        AccountError::NotFound
    );
}

#[test]
fn a_responsible_person_registers_clerks_of_their_own_institution_only() {
    decide_ok(
        &Account::default(),
        &create(
            responsible_person(HOSPITAL),
            "clerk-1",
            clerk_profile(HOSPITAL),
        ),
    );
    assert!(forbidden(
        &Account::default(),
        &create(
            responsible_person(HOSPITAL),
            "clerk-1",
            clerk_profile(NEIGHBOUR)
        ),
    ));
    // Only clerks: no doctor, no other responsible person.
    for new in [doctor_profile(HOSPITAL), responsible_profile(HOSPITAL)] {
        assert!(forbidden(
            &Account::default(),
            &create(responsible_person(HOSPITAL), "x-1", new),
        ));
    }
    // A clerk registers nobody.
    let clerk = Actor {
        institutions: vec![code(HOSPITAL)],
        ..actor("clerk-1", Role::Clerk)
    };
    assert!(forbidden(
        &Account::default(),
        &create(clerk, "clerk-2", clerk_profile(HOSPITAL)),
    ));
}

#[test]
fn a_doctor_who_is_the_responsible_person_registers_clerks_others_do_not() {
    let responsible_doctor = given(
        admin(HOKKAIDO),
        &doctor_id(),
        NewAccount {
            responsible_for: Some(code(HOSPITAL)),
            ..doctor_profile(HOSPITAL)
        },
    );
    decide_ok(
        &Account::default(),
        &create(
            as_self(&responsible_doctor),
            "clerk-1",
            clerk_profile(HOSPITAL),
        ),
    );
    assert!(forbidden(
        &Account::default(),
        &create(
            as_self(&responsible_doctor),
            "clerk-1",
            clerk_profile(NEIGHBOUR)
        ),
    ));
    assert!(forbidden(
        &Account::default(),
        &create(as_self(&doctor()), "clerk-1", clerk_profile(HOSPITAL)),
    ));
}

#[test]
fn invalid_profiles_are_refused() {
    let hokkaido = admin(HOKKAIDO);
    let with_designation = |d: DesignationRecord| NewAccount {
        designation: Some(d),
        ..doctor_profile(HOSPITAL)
    };
    let cases: Vec<(&str, Actor, NewAccount)> = vec![
        (
            "a Shoman designation on a Nanbyo account",
            hokkaido.clone(),
            with_designation(DesignationRecord {
                kind: Designation::Shoman,
                ..designation(DOCTOR_NUMBER)
            }),
        ),
        (
            "a doctor number with a space",
            hokkaido.clone(),
            with_designation(designation("N 0001")),
        ),
        (
            "an empty doctor number",
            hokkaido.clone(),
            with_designation(designation("")),
        ),
        (
            "a doctor number of 21 characters",
            hokkaido.clone(),
            with_designation(designation(&"1".repeat(21))),
        ),
        (
            "a designation that ends before it starts",
            hokkaido.clone(),
            with_designation(DesignationRecord {
                valid_from: "2025-04-01".into(),
                valid_to: Some("2025-03-31".into()),
                ..designation(DOCTOR_NUMBER)
            }),
        ),
        (
            "a designation date that is not a date",
            hokkaido.clone(),
            with_designation(DesignationRecord {
                valid_from: "2024-13-01".into(),
                ..designation(DOCTOR_NUMBER)
            }),
        ),
        (
            "a designated doctor without a designation",
            hokkaido.clone(),
            NewAccount {
                designation: None,
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a designation on a responsible person",
            hokkaido.clone(),
            NewAccount {
                designation: Some(designation(DOCTOR_NUMBER)),
                ..responsible_profile(HOSPITAL)
            },
        ),
        (
            "an auditor with an institution",
            operator(),
            NewAccount {
                primary_institution: Some(code(HOSPITAL)),
                ..profile("auditor-1", Role::Auditor)
            },
        ),
        (
            "a municipality admin without a jurisdiction",
            operator(),
            NewAccount {
                jurisdiction: None,
                ..admin_profile(HOKKAIDO)
            },
        ),
        (
            "an auditor with a jurisdiction",
            operator(),
            NewAccount {
                jurisdiction: Some(gov(HOKKAIDO)),
                ..profile("auditor-1", Role::Auditor)
            },
        ),
        (
            "a doctor with a jurisdiction",
            hokkaido.clone(),
            NewAccount {
                jurisdiction: Some(gov(HOKKAIDO)),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a doctor responsible for an institution that is not theirs",
            hokkaido.clone(),
            NewAccount {
                responsible_for: Some(code(NEIGHBOUR)),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a responsible person responsible for nothing",
            hokkaido.clone(),
            NewAccount {
                responsible_for: None,
                ..responsible_profile(HOSPITAL)
            },
        ),
        (
            "a clerk responsible for the institution",
            responsible_person(HOSPITAL),
            NewAccount {
                responsible_for: Some(code(HOSPITAL)),
                ..clerk_profile(HOSPITAL)
            },
        ),
        (
            "a login ID of 5 characters",
            hokkaido.clone(),
            NewAccount {
                login_id: "abc12".into(),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a login ID of 33 characters",
            hokkaido.clone(),
            NewAccount {
                login_id: "a".repeat(33),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a login ID with a space",
            hokkaido.clone(),
            NewAccount {
                login_id: "doctor n0001".into(),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a login ID that is not ASCII",
            hokkaido.clone(),
            NewAccount {
                login_id: "いしゃ123456".into(),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a blank name",
            hokkaido.clone(),
            NewAccount {
                display_name: "  ".into(),
                ..doctor_profile(HOSPITAL)
            },
        ),
        (
            "a name of 101 characters",
            hokkaido.clone(),
            NewAccount {
                display_name: "花".repeat(101),
                ..doctor_profile(HOSPITAL)
            },
        ),
    ];
    for (case, creator, new) in cases {
        assert!(
            invalid(&Account::default(), &create(creator, "x-1", new)),
            "{case}"
        );
    }
    // The limits themselves are fine.
    decide_ok(
        &Account::default(),
        &create(
            hokkaido,
            "x-1",
            NewAccount {
                login_id: "a".repeat(32),
                display_name: "花".repeat(100),
                designation: Some(designation(&"1".repeat(20))),
                ..doctor_profile(HOSPITAL)
            },
        ),
    );
}

#[test]
fn creating_an_account_twice_is_already_exists() {
    let existing = doctor();
    assert_eq!(
        refused(
            &existing,
            &create(admin(HOKKAIDO), &doctor_id(), doctor_profile(HOSPITAL))
        ),
        AccountError::AlreadyExists
    );
}

// ---- passwords, lockout, suspension -------------------------------------------------------

#[test]
fn a_user_changes_only_their_own_password() {
    let state = hokkaido_admin_account();
    let (state, events) = decide_ok(&state, &cmd(as_self(&state), AccountAction::ChangePassword));
    assert_eq!(events, [AccountEvent::PasswordChanged {}]);
    assert!(!state.must_change_password);
    // Not even the operator who manages it.
    assert!(forbidden(
        &state,
        &cmd(operator(), AccountAction::ChangePassword)
    ));
}

#[test]
fn the_manager_resets_a_password_and_the_reset_lifts_a_lockout() {
    let state = given(admin(HOKKAIDO), "staff-1", staff_profile(HOKKAIDO));
    let (state, _) = decide_ok(&state, &cmd(as_self(&state), AccountAction::ChangePassword));
    let (state, _) = decide_ok(
        &state,
        &cmd(
            system(),
            AccountAction::LockOut {
                until: "2024-06-01T10:15:00+09:00".into(),
            },
        ),
    );
    let (state, events) = decide_ok(&state, &cmd(admin(HOKKAIDO), AccountAction::ResetPassword));
    assert_eq!(events, [AccountEvent::PasswordIssued {}]);
    assert!(state.must_change_password);
    assert_eq!(state.locked_until, None);

    // Not the user themselves, not another jurisdiction's admin, not the operator.
    for someone in [as_self(&state), admin(TOKYO), operator()] {
        assert!(forbidden(
            &state,
            &cmd(someone, AccountAction::ResetPassword)
        ));
    }
}

#[test]
fn only_the_registry_itself_locks_an_account_out() {
    let state = staff();
    let until = "2024-06-01T10:15:00+09:00".to_string();
    let lock = |actor| {
        cmd(
            actor,
            AccountAction::LockOut {
                until: until.clone(),
            },
        )
    };
    let (locked, events) = decide_ok(&state, &lock(system()));
    assert_eq!(
        events,
        [AccountEvent::AccountLockedOut {
            until: until.clone()
        }]
    );
    assert_eq!(locked.locked_until, Some(until.clone()));
    for person in [operator(), admin(HOKKAIDO), as_self(&state)] {
        assert!(forbidden(&state, &lock(person)));
    }
    // And the registry does nothing else a person does.
    for action in [
        AccountAction::ResetPassword,
        AccountAction::Suspend,
        AccountAction::ChangePassword,
    ] {
        assert!(forbidden(&state, &with_reason(system(), action)));
    }
    assert!(forbidden(
        &Account::default(),
        &create(system(), "staff-2", staff_profile(HOKKAIDO))
    ));
}

#[test]
fn suspension_needs_a_reason_is_not_repeated_and_is_lifted_by_reactivation() {
    let state = staff();
    let manager = admin(HOKKAIDO);
    assert_eq!(
        refused(&state, &cmd(manager.clone(), AccountAction::Suspend)),
        AccountError::ReasonRequired
    );
    let blank = AccountCommand {
        reason: Some("   ".into()),
        ..cmd(manager.clone(), AccountAction::Suspend)
    };
    assert_eq!(refused(&state, &blank), AccountError::ReasonRequired);
    assert!(forbidden(
        &state,
        &with_reason(admin(TOKYO), AccountAction::Suspend)
    ));

    let (suspended, events) = decide_ok(
        &state,
        &with_reason(manager.clone(), AccountAction::Suspend),
    );
    assert_eq!(events, [AccountEvent::AccountSuspended {}]);
    assert_eq!(suspended.status, AccountStatus::Suspended);
    assert!(matches!(
        refused(
            &suspended,
            &with_reason(manager.clone(), AccountAction::Suspend)
        ),
        AccountError::Nothing(_)
    ));

    assert_eq!(
        refused(&suspended, &cmd(manager.clone(), AccountAction::Reactivate)),
        AccountError::ReasonRequired
    );
    let (active, events) = decide_ok(
        &suspended,
        &with_reason(manager.clone(), AccountAction::Reactivate),
    );
    assert_eq!(events, [AccountEvent::AccountReactivated {}]);
    assert_eq!(active.status, AccountStatus::Active);
    assert!(matches!(
        refused(&active, &with_reason(manager, AccountAction::Reactivate)),
        AccountError::Nothing(_)
    ));
}

#[test]
fn a_suspended_user_cannot_change_their_password_or_apply_for_an_affiliation() {
    let d = doctor();
    let (suspended, _) = decide_ok(&d, &with_reason(admin(HOKKAIDO), AccountAction::Suspend));
    assert_eq!(
        refused(&suspended, &cmd(as_self(&d), AccountAction::ChangePassword)),
        AccountError::Suspended
    );
    assert_eq!(
        refused(
            &suspended,
            &cmd(
                as_self(&d),
                AccountAction::RequestAffiliation {
                    institution: code(NEIGHBOUR)
                }
            )
        ),
        AccountError::Suspended
    );
}

// ---- secondary affiliations (兼務先) -------------------------------------------------------

#[test]
fn a_doctor_applies_for_a_secondary_institution_for_himself() {
    let d = doctor();
    let request = |actor| {
        cmd(
            actor,
            AccountAction::RequestAffiliation {
                institution: code(NEIGHBOUR),
            },
        )
    };
    let (state, events) = decide_ok(&d, &request(as_self(&d)));
    assert_eq!(
        events,
        [AccountEvent::AffiliationRequested {
            institution: code(NEIGHBOUR)
        }]
    );
    assert_eq!(
        state.secondary.get(&code(NEIGHBOUR)),
        Some(&AffiliationStatus::Pending)
    );
    // A pending application does not make the doctor work there yet.
    assert_eq!(as_self(&state).institutions, [code(HOSPITAL)]);

    // Not for someone else, not by the responsible person, not by a clerk for himself.
    for someone in [
        responsible_person(NEIGHBOUR),
        admin(HOKKAIDO),
        Actor {
            institutions: vec![code(HOSPITAL)],
            designation: Some(Designation::Nanbyo),
            ..actor("another-doctor", Role::DesignatedDoctor)
        },
    ] {
        assert!(forbidden(&d, &request(someone)));
    }
    let clerk = given(
        responsible_person(HOSPITAL),
        "clerk-1",
        clerk_profile(HOSPITAL),
    );
    assert!(forbidden(&clerk, &request(as_self(&clerk))));
}

#[test]
fn a_doctor_cannot_apply_for_his_primary_institution_or_apply_twice() {
    let d = doctor();
    assert!(invalid(
        &d,
        &cmd(
            as_self(&d),
            AccountAction::RequestAffiliation {
                institution: code(HOSPITAL)
            }
        )
    ));
    let again = cmd(
        as_self(&d),
        AccountAction::RequestAffiliation {
            institution: code(NEIGHBOUR),
        },
    );
    assert!(matches!(
        refused(&applied(), &again),
        AccountError::Nothing(_)
    ));
    assert!(matches!(
        refused(&affiliated(), &again),
        AccountError::Nothing(_)
    ));
}

#[test]
fn only_the_responsible_person_of_that_institution_approves_and_the_doctor_then_works_there() {
    let state = applied();
    // The doctor's own hospital's responsible person, a municipality, the doctor: not theirs.
    for someone in [
        responsible_person(HOSPITAL),
        admin(HOKKAIDO),
        as_self(&state),
        operator(),
    ] {
        assert!(forbidden(&state, &decide_affiliation(someone, true)));
    }
    let (state, events) = decide_ok(
        &state,
        &decide_affiliation(responsible_person(NEIGHBOUR), true),
    );
    assert_eq!(
        events,
        [AccountEvent::AffiliationApproved {
            institution: code(NEIGHBOUR)
        }]
    );
    assert_eq!(
        state.actor(TODAY).expect("exists").institutions,
        [code(HOSPITAL), code(NEIGHBOUR)]
    );
    // Nothing pending any more.
    assert!(matches!(
        refused(
            &state,
            &decide_affiliation(responsible_person(NEIGHBOUR), true)
        ),
        AccountError::Nothing(_)
    ));
}

#[test]
fn a_doctor_who_is_responsible_for_the_institution_decides_its_applications() {
    let responsible_doctor = given(
        admin(HOKKAIDO),
        &Account::doctor_id(Program::Nanbyo, "N-0002"),
        NewAccount {
            login_id: "doctor-n0002".into(),
            designation: Some(designation("N-0002")),
            responsible_for: Some(code(NEIGHBOUR)),
            ..doctor_profile(NEIGHBOUR)
        },
    );
    decide_ok(
        &applied(),
        &decide_affiliation(as_self(&responsible_doctor), true),
    );
}

#[test]
fn a_rejection_needs_a_reason_and_leaves_the_doctor_free_to_apply_again() {
    let state = applied();
    let reject = decide_affiliation(responsible_person(NEIGHBOUR), false);
    assert_eq!(refused(&state, &reject), AccountError::ReasonRequired);
    assert!(forbidden(
        &state,
        &AccountCommand {
            reason: Some("在籍確認できず".into()),
            ..decide_affiliation(responsible_person(HOSPITAL), false)
        }
    ));
    let (state, events) = decide_ok(
        &state,
        &AccountCommand {
            reason: Some("在籍確認できず".into()),
            ..reject
        },
    );
    assert_eq!(
        events,
        [AccountEvent::AffiliationRejected {
            institution: code(NEIGHBOUR)
        }]
    );
    assert!(state.secondary.is_empty());
    assert_eq!(as_self(&state).institutions, [code(HOSPITAL)]);
    decide_ok(
        &state,
        &cmd(
            as_self(&state),
            AccountAction::RequestAffiliation {
                institution: code(NEIGHBOUR),
            },
        ),
    );
}

#[test]
fn there_is_nothing_to_decide_without_an_application() {
    assert!(matches!(
        refused(
            &doctor(),
            &decide_affiliation(responsible_person(NEIGHBOUR), true)
        ),
        AccountError::Nothing(_)
    ));
}

#[test]
fn the_doctor_or_the_responsible_person_of_the_institution_revokes_an_affiliation() {
    let state = affiliated();
    for who in [as_self(&state), responsible_person(NEIGHBOUR)] {
        let (revoked, events) = decide_ok(&state, &revoke(who));
        assert_eq!(
            events,
            [AccountEvent::AffiliationRevoked {
                institution: code(NEIGHBOUR)
            }]
        );
        assert_eq!(as_self(&revoked).institutions, [code(HOSPITAL)]);
    }
    for someone in [responsible_person(HOSPITAL), admin(HOKKAIDO)] {
        assert!(forbidden(&state, &revoke(someone)));
    }
    let no_reason = AccountCommand {
        reason: None,
        ..revoke(as_self(&state))
    };
    assert_eq!(refused(&state, &no_reason), AccountError::ReasonRequired);
    // A pending application is not an affiliation to revoke.
    assert!(matches!(
        refused(&applied(), &revoke(responsible_person(NEIGHBOUR))),
        AccountError::Nothing(_)
    ));
}

// ---- the actor an account acts as ---------------------------------------------------------

#[test]
fn an_account_acts_without_its_designation_outside_the_validity_period() {
    let d = doctor();
    for (today, in_force) in [
        ("2024-03-31", false),
        ("2024-04-01", true),
        ("2029-03-31", true),
        ("2029-04-01", false),
    ] {
        let actor = d.actor(today).expect("exists");
        assert_eq!(actor.role, Role::DesignatedDoctor, "{today}");
        assert_eq!(
            actor.designation,
            in_force.then_some(Designation::Nanbyo),
            "{today}"
        );
    }
    let open_ended = given(
        admin(HOKKAIDO),
        &doctor_id(),
        NewAccount {
            designation: Some(DesignationRecord {
                valid_to: None,
                ..designation(DOCTOR_NUMBER)
            }),
            ..doctor_profile(HOSPITAL)
        },
    );
    assert_eq!(
        open_ended.actor("2099-12-31").and_then(|a| a.designation),
        Some(Designation::Nanbyo)
    );
    assert_eq!(Account::default().actor(TODAY), None);
}

#[test]
fn an_account_acts_with_its_scope() {
    let d = doctor();
    assert_eq!(
        d.actor(TODAY),
        Some(Actor {
            account: doctor_id(),
            role: Role::DesignatedDoctor,
            program: Program::Nanbyo,
            institutions: vec![code(HOSPITAL)],
            jurisdiction: None,
            designation: Some(Designation::Nanbyo),
            responsible_for: None,
        })
    );
    let s = staff();
    let a = as_self(&s);
    assert_eq!(
        (a.role, a.jurisdiction, a.institutions),
        (Role::MunicipalityStaff, Some(gov(HOKKAIDO)), vec![])
    );
}

// ---- institution-code switch (医療機関一括更新) -------------------------------------------

#[test]
fn a_switch_is_scheduled_only_by_a_municipality_user_of_the_institutions_prefecture() {
    let d = doctor();
    for someone in [
        admin(HOKKAIDO),
        municipality(Role::MunicipalityStaff, HOKKAIDO),
        municipality(Role::MunicipalityStaff, SAPPORO),
    ] {
        let (state, events) = decide_ok(&d, &cmd(someone, switch(HOSPITAL, NEIGHBOUR)));
        assert_eq!(
            events,
            [AccountEvent::InstitutionSwitchScheduled {
                from: code(HOSPITAL),
                to: code(NEIGHBOUR)
            }]
        );
        assert_eq!(
            state.pending_switch,
            Some((code(HOSPITAL), code(NEIGHBOUR)))
        );
        // Nothing changes before the doctor's next login.
        assert_eq!(as_self(&state).institutions, [code(HOSPITAL)]);
    }
    for someone in [
        admin(TOKYO),
        operator(),
        responsible_person(HOSPITAL),
        as_self(&d),
    ] {
        assert!(forbidden(&d, &cmd(someone, switch(HOSPITAL, NEIGHBOUR))));
    }
}

#[test]
fn a_switch_concerns_doctors_of_the_primary_institution_and_its_non_doctor_responsible_persons() {
    let switching = || cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR));
    let responsible = given(
        admin(HOKKAIDO),
        "responsible-1",
        responsible_profile(HOSPITAL),
    );
    let (state, _) = decide_ok(&responsible, &switching());
    assert!(state.pending_switch.is_some());

    // A doctor of another institution, even one who also works at HOSPITAL; a clerk.
    let elsewhere = doctor_at(NEIGHBOUR);
    let (secondary_at_hospital, _) = decide_ok(
        &elsewhere,
        &cmd(
            as_self(&elsewhere),
            AccountAction::RequestAffiliation {
                institution: code(HOSPITAL),
            },
        ),
    );
    let (secondary_at_hospital, _) = decide_ok(
        &secondary_at_hospital,
        &decide_affiliation_at(responsible_person(HOSPITAL), HOSPITAL),
    );
    let clerk = given(
        responsible_person(HOSPITAL),
        "clerk-1",
        clerk_profile(HOSPITAL),
    );
    for state in [elsewhere, secondary_at_hospital, clerk] {
        assert!(invalid(&state, &switching()), "{:?}", state.profile);
    }
}

fn decide_affiliation_at(actor: Actor, institution: &str) -> AccountCommand {
    cmd(
        actor,
        AccountAction::DecideAffiliation {
            institution: code(institution),
            approve: true,
        },
    )
}

#[test]
fn scheduling_the_same_switch_twice_gives_no_events() {
    let (scheduled, _) = decide_ok(
        &doctor(),
        &cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR)),
    );
    assert_eq!(
        scheduled.decide(&cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR))),
        Ok(vec![])
    );
}

#[test]
fn the_account_completes_its_switch_at_login_and_the_same_switch_again_changes_nothing() {
    let responsible_doctor = given(
        admin(HOKKAIDO),
        &doctor_id(),
        NewAccount {
            responsible_for: Some(code(HOSPITAL)),
            ..doctor_profile(HOSPITAL)
        },
    );
    let (scheduled, _) = decide_ok(
        &responsible_doctor,
        &cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR)),
    );
    for someone in [admin(HOKKAIDO), responsible_person(HOSPITAL)] {
        assert!(forbidden(
            &scheduled,
            &cmd(someone, AccountAction::CompleteSwitch)
        ));
    }
    let (switched, events) = decide_ok(
        &scheduled,
        &cmd(as_self(&scheduled), AccountAction::CompleteSwitch),
    );
    assert_eq!(
        events,
        [AccountEvent::InstitutionSwitched {
            from: code(HOSPITAL),
            to: code(NEIGHBOUR)
        }]
    );
    let profile = switched.profile().expect("exists");
    assert_eq!(profile.primary_institution, Some(code(NEIGHBOUR)));
    assert_eq!(profile.responsible_for, Some(code(NEIGHBOUR)));
    assert_eq!(switched.pending_switch, None);
    assert_eq!(as_self(&switched).institutions, [code(NEIGHBOUR)]);

    // The next login has nothing to complete; a re-run of the same bulk update is a no-op.
    assert_eq!(
        switched.decide(&cmd(as_self(&switched), AccountAction::CompleteSwitch)),
        Ok(vec![])
    );
    assert_eq!(
        switched.decide(&cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR))),
        Ok(vec![])
    );
}

#[test]
fn a_switch_to_an_institution_the_doctor_already_works_at_drops_that_affiliation() {
    let (state, _) = decide_ok(
        &affiliated(),
        &cmd(admin(HOKKAIDO), switch(HOSPITAL, NEIGHBOUR)),
    );
    let (state, _) = decide_ok(&state, &cmd(as_self(&state), AccountAction::CompleteSwitch));
    assert!(state.secondary.is_empty());
    assert_eq!(as_self(&state).institutions, [code(NEIGHBOUR)]);
}

// ---- ids and events -----------------------------------------------------------------------

#[test]
fn a_doctors_id_is_derived_from_program_and_doctor_number() {
    let id = Account::doctor_id(Program::Nanbyo, DOCTOR_NUMBER);
    assert_eq!(id, Account::doctor_id(Program::Nanbyo, DOCTOR_NUMBER));
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_ne!(id, Account::doctor_id(Program::Shoman, DOCTOR_NUMBER));
    assert_ne!(id, Account::doctor_id(Program::Nanbyo, "N-0002"));
    // Other accounts get a fresh id each time.
    assert_ne!(Account::new_id(), Account::new_id());
}

#[test]
fn every_account_event_round_trips_through_the_catalog() {
    let a = || code(HOSPITAL);
    let b = || code(NEIGHBOUR);
    let events = [
        AccountEvent::AccountCreated {
            id: doctor_id(),
            account: doctor_profile(HOSPITAL),
        },
        AccountEvent::AccountCreated {
            id: "admin-1".into(),
            account: admin_profile(HOKKAIDO),
        },
        AccountEvent::PasswordIssued {},
        AccountEvent::PasswordChanged {},
        AccountEvent::AccountLockedOut {
            until: "2024-06-01T10:15:00+09:00".into(),
        },
        AccountEvent::AccountSuspended {},
        AccountEvent::AccountReactivated {},
        AccountEvent::AffiliationRequested { institution: b() },
        AccountEvent::AffiliationApproved { institution: b() },
        AccountEvent::AffiliationRejected { institution: b() },
        AccountEvent::AffiliationRevoked { institution: b() },
        AccountEvent::InstitutionSwitchScheduled { from: a(), to: b() },
        AccountEvent::InstitutionSwitched { from: a(), to: b() },
    ];
    let catalog = EventCatalog::registry();
    let mut seen = std::collections::BTreeSet::new();
    for event in &events {
        let (t, v, payload) = event.to_payload().expect("payload");
        catalog
            .validate(&t, v, &payload)
            .unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(
            &AccountEvent::from_payload(&t, &payload).expect("read back"),
            event
        );
        seen.insert(t);
    }
    let kinds: std::collections::BTreeSet<String> = AccountEvent::KINDS
        .iter()
        .map(|k| k.event_type.to_owned())
        .collect();
    assert_eq!(seen, kinds, "every kind is exercised");

    // A payload with a field its type does not have (a password, say) is refused.
    let (t, v, mut payload) = AccountEvent::PasswordIssued {}
        .to_payload()
        .expect("payload");
    payload["password"] = "secret".into();
    assert!(catalog.validate(&t, v, &payload).is_err());
}
