// Response shapes of the HTTP routes the app uses (design §6).
export interface SessionUser {
  id: string;
  username: string;
}

export interface AuthResponse {
  token: string;
  user: SessionUser;
}

export interface OnboardingTokenResponse {
  token: string;
  command: string;
  expiresAt: number | string;
}
